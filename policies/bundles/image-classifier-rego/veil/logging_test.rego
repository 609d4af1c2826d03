package veil.logging_test

import rego.v1

import data.veil.logging

test_pixels_are_digested_by_default if {
	logging.decision.input == "digest" with input as {"caller": {"tenant": "acme"}, "degraded": false}
}

test_the_partner_leaves_no_trace if {
	d := logging.decision with input as {"caller": {"tenant": "northwind"}, "degraded": true}
	d.rule == "partner-inputs-masked"
	d.input == "mask"
	d.raw == "mask"
}

test_degraded_answers_keep_their_raw_summary if {
	d := logging.decision with input as {"caller": {"tenant": "acme"}, "degraded": true}
	d == {"rule": "degraded-keep-raw", "input": "digest", "output": "keep", "raw": "keep", "caller": "keep"}
}
