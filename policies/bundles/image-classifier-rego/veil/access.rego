# Who may ask (docs/policy-reference.md, section 5.2): the first rule that matches decides.
# Same policy as ../../image-classifier/image-classifier.veil.yaml, access section.
package veil.access

import rego.v1

decision := {
	"allow": false,
	"rule": "suspended",
	"message": "this account is suspended; ask the ML platform team",
	"rate_limit": null,
	"daily_quota": 0,
} if {
	input.caller.attributes.status == "suspended"
} else := {
	"allow": false,
	"rule": "internal-roles",
	"message": "the researcher and analyst roles are for the staff of tenant acme; ask the ML platform team",
	"rate_limit": null,
	"daily_quota": 0,
} if {
	# researcher and analyst are acme's staff roles, never a partner's
	some r in input.caller.roles
	r in {"researcher", "analyst"}
	input.caller.tenant != "acme"
} else := {
	"allow": true,
	"rule": "researchers",
	"message": "allowed by rule researchers",
	"rate_limit": {"per_second": 20, "burst": 50},
	"daily_quota": 50000,
} if {
	"researcher" in input.caller.roles
} else := {
	"allow": true,
	"rule": "analysts",
	"message": "allowed by rule analysts",
	"rate_limit": {"per_second": 5, "burst": 20},
	"daily_quota": 5000,
} if {
	"analyst" in input.caller.roles
} else := {
	"allow": true,
	"rule": "partner",
	"message": "allowed by rule partner",
	"rate_limit": {"per_second": 2, "burst": 5},
	"daily_quota": 1000,
} if {
	partner
} else := {
	"allow": false,
	"rule": "default",
	"message": "no access rule allows this caller; ask the ML platform team for the analyst role",
	"rate_limit": null,
	"daily_quota": 0,
}

# The partner tenant, with an active contract in the EU or the UK.
partner if {
	input.caller.tenant == "northwind"
	"partner" in input.caller.roles
	input.caller.attributes.contract == "active"
	input.caller.attributes.region in {"eu", "uk"}
}
