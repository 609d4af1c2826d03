# What a valid input looks like (section 5.3): 28x28 grey levels in [0, 1] that look like the
# training images (statistics at data.training.stats). Researchers may send synthetic images.
package veil.validation

import rego.v1

decision := {"rule": "researchers-synthetic", "contract": contract(synthetic)} if {
	"researcher" in input.caller.roles
} else := {"rule": "default", "contract": contract(training_like)}

contract(distribution) := {
	"shape": [28, 28],
	"min": 0,
	"max": 1,
	"features": {},
	"allow_unknown_features": true,
	"cross_field": [],
	"max_payload_bytes": 16384,
	"distribution": distribution,
}

# Measured on the 10,000 Fashion-MNIST test images (policies/README.md): 0.3% refused; every blank,
# saturated, uniform-noise and salt-and-pepper probe refused.
training_like := {
	"stats": "training.stats",
	"features": 784,
	"std_floor": 0.05,
	"max_abs_z": 19,
	"max_rms_z": 2.5,
	"summary": ["mean", "roughness", "std"],
}

# Synthetic images pass the per-pixel check but blank, saturated and noise images still fail the summary.
synthetic := object.union(training_like, {"max_abs_z": 0, "max_rms_z": 4})
