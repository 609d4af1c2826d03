package t
p := [x | some x in [1, 2, 3]; x > 1]
q := {k: v | v := input[k]}
r := {x | x := {1, set(), {}}[_]}
s := $"{p} and {count(q) with input as {"a": 1}}"
t if every k, v in {"a": 1} { k != v }
