package veil.output_test

import rego.v1

import data.veil.output

test_analysts_see_the_top_3_rounded if {
	d := output.decision with input as {"caller": {"roles": ["analyst"], "tenant": "acme"}}
	d.rule == "default"
	d.release.form == "top_k"
	d.release.top_k == 3
	d.release.noise == null
}

test_researchers_see_every_score if {
	d := output.decision with input as {"caller": {"roles": ["researcher"], "tenant": "northwind"}}
	d.rule == "researchers-full"
	d.release.top_k == 0
	d.release.round == 0.01
}

test_the_partner_gets_noise if {
	d := output.decision with input as {"caller": {"roles": ["partner"], "tenant": "northwind"}}
	d.rule == "partner-noisy"
	d.release.noise.epsilon == 0.5
}
