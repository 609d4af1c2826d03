package veil.monitoring_test

import rego.v1

import data.veil.monitoring

at(level, roles) := {"caller": {"roles": roles}, "signals": {"rate": {"level": level, "score": 1}}}

rules(d) := [a.rule | some a in d.actions]

test_a_quiet_caller_triggers_nothing if {
	monitoring.decision == {"actions": []} with input as at("none", ["analyst"])
}

test_the_ladder_escalates_in_order if {
	rules(monitoring.decision) == ["rate-alert"] with input as at("low", ["analyst"])
	rules(monitoring.decision) == ["rate-alert", "rate-degrade"] with input as at("medium", ["analyst"])
	rules(monitoring.decision) == ["rate-alert", "rate-degrade", "rate-block"] with input as at("high", ["analyst"])
}

test_researchers_are_throttled_not_blocked if {
	d := monitoring.decision with input as at("high", ["researcher"])
	rules(d) == ["rate-alert", "rate-degrade", "rate-throttle-researchers"]
	d.actions[2].throttle_per_second == 1
}

test_no_signal_no_action if {
	monitoring.decision == {"actions": []} with input as {"caller": {"roles": []}, "signals": {}}
}

with_signal(name, level, roles) := {"caller": {"roles": roles}, "signals": {name: {"level": level, "score": 1}}}

# Medium and low levels raise no alarm: they reach the audit record's signals only.
test_probing_is_quiet_at_medium_then_degrades_and_blocks_at_high if {
	rules(monitoring.decision) == [] with input as with_signal("knn", "medium", ["analyst"])
	rules(monitoring.decision) == [] with input as with_signal("near_duplicate", "low", ["analyst"])
	rules(monitoring.decision) == ["near-duplicate-degrade", "near-duplicate-block"]
		with input as with_signal("near_duplicate", "high", ["analyst"])
	d := monitoring.decision with input as with_signal("knn", "high", ["partner"])
	d.actions[1] == {
		"action": "block", "rule": "knn-block", "signal": "knn",
		"cooldown_seconds": 86400, "throttle_per_second": 0,
	}
}

# Every tenant's queries make these signals: a block on them could be someone else's doing.
test_signals_that_count_other_callers_degrade_but_never_block if {
	rules(monitoring.decision) == ["near-duplicate-global-degrade"]
		with input as with_signal("near_duplicate_global", "high", ["analyst"])
	rules(monitoring.decision) == [] with input as with_signal("near_duplicate_global", "medium", ["analyst"])
	rules(monitoring.decision) == ["knn-global-degrade"] with input as with_signal("knn_global", "high", ["partner"])
}

test_antithetic_pairs_degrade_and_block_at_high if {
	rules(monitoring.decision) == [] with input as with_signal("antithetic", "medium", ["analyst"])
	rules(monitoring.decision) == ["antithetic-degrade", "antithetic-block"]
		with input as with_signal("antithetic", "high", ["analyst"])
	rules(monitoring.decision) == ["antithetic-degrade"] with input as with_signal("antithetic", "high", ["researcher"])
	rules(monitoring.decision) == ["antithetic-tenant-degrade", "antithetic-tenant-block"]
		with input as with_signal("antithetic_tenant", "high", ["partner"])
}

test_smooth_images_degrade_and_block_at_high if {
	rules(monitoring.decision) == [] with input as with_signal("smooth", "medium", ["analyst"])
	rules(monitoring.decision) == ["smooth-degrade", "smooth-block"] with input as with_signal("smooth", "high", ["analyst"])
	rules(monitoring.decision) == ["smooth-degrade"] with input as with_signal("smooth", "high", ["researcher"])
	rules(monitoring.decision) == ["smooth-tenant-degrade"] with input as with_signal("smooth_tenant", "high", ["partner"])
	rules(monitoring.decision) == [] with input as with_signal("smooth_tenant", "medium", ["analyst"])
}

test_researchers_who_probe_get_labels_only_and_are_not_blocked if {
	rules(monitoring.decision) == ["knn-degrade"] with input as with_signal("knn", "high", ["researcher"])
}

test_the_answer_detectors_alert_or_degrade_but_never_block if {
	rules(monitoring.decision) == ["confidence-climb-degrade"] with input as with_signal("confidence_climb", "high", ["analyst"])
	rules(monitoring.decision) == [] with input as with_signal("confidence_climb", "medium", ["analyst"])
	rules(monitoring.decision) == ["class-focus-alert"] with input as with_signal("class_focus", "high", ["analyst"])
	rules(monitoring.decision) == [] with input as with_signal("class_focus", "medium", ["analyst"])
	rules(monitoring.decision) == ["boundary-alert"] with input as with_signal("boundary", "high", ["analyst"])
	rules(monitoring.decision) == [] with input as with_signal("boundary", "medium", ["analyst"])
}

test_every_matching_rule_fires_in_the_order_of_the_ladder if {
	rules(monitoring.decision) == ["rate-alert", "knn-degrade", "knn-block"] with input as {
		"caller": {"roles": ["analyst"]},
		"signals": {"knn": {"level": "high", "score": 0.01}, "rate": {"level": "low", "score": 61}},
	}
}
