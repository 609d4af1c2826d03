package t
a.b[c] contains x if { c := "k"; x := `raw
string` }
null.x := 1
p if { if.foo == 1; x := -1.5e3 }
