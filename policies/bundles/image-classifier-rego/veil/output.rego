# What each caller is shown (section 5.6): analysts the top 3 rounded to 0.05, researchers every
# score rounded to 0.01, the partner the top 3 with Laplace noise (charged to the budget in
# data.veil.settings.output.privacy). The first rule that matches decides.
package veil.output

import rego.v1

decision := {"rule": "researchers-full", "release": object.union(top3, {"form": "full", "top_k": 0, "round": 0.01})} if {
	"researcher" in input.caller.roles
} else := {"rule": "partner-noisy", "release": object.union(top3, {"noise": laplace})} if {
	input.caller.tenant == "northwind"
} else := {"rule": "default", "release": top3}

top3 := {
	"form": "top_k",
	"top_k": 3,
	"round": 0.05,
	"min_confidence": 0,
	"reverse_sigmoid": null,
	"noise": null,
	"allow_label_change": false,
}

laplace := {"mechanism": "laplace", "epsilon": 0.5, "delta": 0, "sensitivity": 2}
