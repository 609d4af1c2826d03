package authz

import rego.v1

default allow := false

allow if {
	input.user.role == "admin"
	some p in input.permissions
	p.action in {"read", "write"}
}

deny contains msg if {
	not allow
	msg := sprintf("denied %s", [input.user.name])
}

score[k] := v if {
	some k, v in input.scores
	v > 0.5
} else := 0

f(x) := y if y := x * 2 + 1
