package p
p := "\ud83d\ude00 \u00e9 \uDEAD"
q := 1e99999
r := 00
s := "unterminated
