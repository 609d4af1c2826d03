package veil.validation_test

import rego.v1

import data.veil.validation

test_everybody_sends_training_like_images if {
	d := validation.decision with input as {"caller": {"roles": ["analyst"]}}
	d.rule == "default"
	d.contract.shape == [28, 28]
	d.contract.distribution.max_abs_z == 19
}

test_researchers_may_send_synthetic_images if {
	d := validation.decision with input as {"caller": {"roles": ["researcher"]}}
	d.rule == "researchers-synthetic"
	d.contract.distribution.max_abs_z == 0
	d.contract.distribution.max_rms_z == 4
	d.contract.distribution.summary == ["mean", "roughness", "std"]
}

test_the_statistics_describe_every_pixel if {
	count(data.training.stats.mean) == validation.training_like.features
}
