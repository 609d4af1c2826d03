package p
x := $"{ {1 }"
y := $`{`
z := $"\{"
