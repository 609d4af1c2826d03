package veil.model_test

import rego.v1

import data.veil.model

test_a_model_of_90_days_is_fresh if {
	not model.decision.stale with input as {"model": {"age_days": 90}}
}

test_an_older_model_is_stale_and_degrades if {
	model.decision == {"rule": "default", "stale": true, "action": "degrade"} with input as {"model": {"age_days": 90.5}}
}
