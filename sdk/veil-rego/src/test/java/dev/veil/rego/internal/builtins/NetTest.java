package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.Calls.builtinError;
import static dev.veil.rego.internal.builtins.Calls.json;
import static dev.veil.rego.internal.builtins.Calls.typeError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.SetValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import org.junit.jupiter.api.Test;

class NetTest {

    @Test
    void containsAndIntersects() {
        assertThat(json("net.cidr_contains", "\"10.0.0.0/8\"", "\"10.1.2.3\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"10.0.0.0/8\"", "\"11.1.2.3\"")).isEqualTo("false");
        assertThat(json("net.cidr_contains", "\"10.0.0.0/8\"", "\"10.1.0.0/16\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"10.0.0.0/16\"", "\"10.0.0.0/8\"")).isEqualTo("false");
        assertThat(json("net.cidr_contains", "\"10.0.0.0/8\"", "\"::ffff:10.0.0.1\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"2001:db8::/32\"", "\"2001:db8:1::1\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"2001:db8::/32\"", "\"10.0.0.1\"")).isEqualTo("false");
        assertThat(json("net.cidr_intersects", "\"192.168.0.0/16\"", "\"192.168.1.0/24\"")).isEqualTo("true");
        assertThat(json("net.cidr_intersects", "\"192.168.0.0/24\"", "\"192.168.1.0/24\"")).isEqualTo("false");
        builtinError("net.cidr_contains: invalid CIDR address: 10.0.0.0", "net.cidr_contains", "\"10.0.0.0\"",
                "\"10.0.0.1\"");
        builtinError("net.cidr_contains: not a valid textual representation of an IP address or CIDR: x",
                "net.cidr_contains", "\"10.0.0.0/8\"", "\"x\"");
        typeError("net.cidr_contains: operand 1 must be string but got number", "net.cidr_contains", "1", "\"x\"");
    }

    /**
     * Go's {@code IPNet.Contains}: an IPv4-mapped network ({@code ::ffff:a.b.c.d/96+n}) is the IPv4 network
     * {@code a.b.c.d/n}, and an IPv4-mapped address is its IPv4 address; an IPv6 network that is not
     * IPv4-mapped contains no IPv4 address, even {@code ::/0}.
     */
    @Test
    void ipv4MappedNetworksAreIpv4Networks() {
        assertThat(json("net.cidr_contains", "\"::ffff:10.0.0.0/104\"", "\"10.1.2.3\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"::ffff:10.0.0.0/104\"", "\"::ffff:10.1.2.3\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"::ffff:10.0.0.0/104\"", "\"11.1.2.3\"")).isEqualTo("false");
        assertThat(json("net.cidr_contains", "\"::ffff:0:0/96\"", "\"192.0.2.1\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"::ffff:10.0.0.0/104\"", "\"10.1.0.0/16\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"::ffff:10.0.0.0/104\"", "\"::ffff:10.1.0.0/112\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"::ffff:10.0.0.0/104\"", "\"10.0.0.0/7\"")).isEqualTo("false");
        assertThat(json("net.cidr_contains", "\"10.0.0.0/8\"", "\"::ffff:10.1.0.0/112\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains", "\"::/0\"", "\"::ffff:10.1.2.3\"")).isEqualTo("false");
        assertThat(json("net.cidr_contains", "\"::/0\"", "\"10.1.2.3\"")).isEqualTo("false");
        assertThat(json("net.cidr_contains", "\"::/0\"", "\"2001:db8::1\"")).isEqualTo("true");
        assertThat(json("net.cidr_contains_matches", "[\"::ffff:10.0.0.0/104\"]", "[\"10.1.2.3\"]"))
                .isEqualTo("[[0,0]]");
        assertThat(json("net.cidr_intersects", "\"::ffff:10.0.0.0/104\"", "\"10.1.0.0/16\"")).isEqualTo("true");
        assertThat(json("net.cidr_intersects", "\"10.1.0.0/16\"", "\"::ffff:10.0.0.0/104\"")).isEqualTo("true");
        assertThat(json("net.cidr_intersects", "\"::/0\"", "\"10.1.0.0/16\"")).isEqualTo("false");
        assertThat(json("net.cidr_expand", "\"::ffff:10.0.0.0/127\"")).isEqualTo("[\"10.0.0.0\",\"10.0.0.1\"]");
        // Below /96 Go's ParseCIDR masks the ffff away: the network is IPv6 and holds no IPv4 address.
        assertThat(json("net.cidr_contains", "\"::ffff:0:0/80\"", "\"10.1.2.3\"")).isEqualTo("false");
        assertThat(json("net.cidr_contains", "\"::ffff:0:0/95\"", "\"10.1.2.3\"")).isEqualTo("false");
        assertThat(json("net.cidr_intersects", "\"::ffff:0:0/80\"", "\"10.1.0.0/16\"")).isEqualTo("false");
    }

    @Test
    void isValidFollowsGoSyntax() {
        assertThat(json("net.cidr_is_valid", "\"10.0.0.0/8\"")).isEqualTo("true");
        assertThat(json("net.cidr_is_valid", "\"::/0\"")).isEqualTo("true");
        assertThat(json("net.cidr_is_valid", "\"10.0.0.0/33\"")).isEqualTo("false");
        assertThat(json("net.cidr_is_valid", "\"010.0.0.0/8\"")).isEqualTo("false");
        assertThat(json("net.cidr_is_valid", "\"10.0.0.0\"")).isEqualTo("false");
        assertThat(json("net.cidr_is_valid", "\"1:2:3:4:5:6:7:8:9/64\"")).isEqualTo("false");
        assertThat(json("net.cidr_is_valid", "1")).isEqualTo("false");
    }

    @Test
    void expand() {
        assertThat(json("net.cidr_expand", "\"192.168.1.0/30\""))
                .isEqualTo("[\"192.168.1.0\",\"192.168.1.1\",\"192.168.1.2\",\"192.168.1.3\"]");
        assertThat(json("net.cidr_expand", "\"2001:db8::/127\"")).isEqualTo("[\"2001:db8::\",\"2001:db8::1\"]");
        builtinError("net.cidr_expand: invalid CIDR address: 192.168.1.1/33", "net.cidr_expand",
                "\"192.168.1.1/33\"");
        builtinError("net.cidr_expand: network 10.0.0.0/8 has more than 1048576 addresses: expand a smaller network",
                "net.cidr_expand", "\"10.0.0.0/8\"");
    }

    @Test
    void containsMatches() {
        assertThat(json("net.cidr_contains_matches", "[\"1.1.1.0/24\",\"1.1.2.0/24\"]", "\"1.1.1.128\""))
                .isEqualTo("[[0,\"1.1.1.128\"]]");
        assertThat(json("net.cidr_contains_matches", "{\"k\":[\"1.1.1.0/24\",\"x\"]}", "[\"1.1.1.1\",\"2.2.2.2\"]"))
                .isEqualTo("[[\"k\",0]]");
        builtinError("net.cidr_contains_matches: operand 2: element must be string or non-empty array",
                "net.cidr_contains_matches", "\"1.1.1.0/24\"", "[[]]");
    }

    @Test
    void merge() {
        assertThat(json("net.cidr_merge", "[\"192.0.128.0/24\",\"192.0.129.0/24\"]")).isEqualTo("[\"192.0.128.0/23\"]");
        assertThat(json("net.cidr_merge", "[\"192.0.2.112/31\",\"192.0.2.116/31\",\"192.0.2.118/31\"]"))
                .isEqualTo("[\"192.0.2.112/31\",\"192.0.2.116/30\"]");
        assertThat(json("net.cidr_merge", "[\"192.0.2.112\",\"192.0.2.116/31\"]")).isEqualTo("[\"192.0.2.0/24\"]");
        assertThat(json("net.cidr_merge", "[\"::/0\",\"::192.0.2.0/124\",\"ff00::101/128\"]")).isEqualTo("[\"::/0\"]");
        assertThat(json("net.cidr_merge", "[\"2601:600:8a80:207e:a57d:7567:e2c9:e7b3/64\"]"))
                .isEqualTo("[\"2601:600:8a80:207e::/64\"]");
        assertThat(json("net.cidr_merge", "[]")).isEqualTo("[]");
        builtinError("net.cidr_merge: IPv6 invalid: needs prefix length", "net.cidr_merge", "[\"::1\"]");
        builtinError("net.cidr_merge: element must be string", "net.cidr_merge", "[1]");
        builtinError("net.cidr_merge: operand must be an array", "net.cidr_merge", "\"x\"");
    }

    @Test
    void mergedNetworksCoverExactlyTheInputAddresses() {
        qt().withExamples(200).forAll(integers().between(0, 255), integers().between(24, 32),
                integers().between(0, 255), integers().between(24, 32)).checkAssert((a, pa, b, pb) -> {
                    Value in = ArrayValue.of(StringValue.of("10.0.0." + a + "/" + pa),
                            StringValue.of("10.0.0." + b + "/" + pb));
                    SetValue merged = (SetValue) Calls.call("net.cidr_merge", in);
                    for (int host = 0; host < 256; host += 7) {
                        Value ip = StringValue.of("10.0.0." + host);
                        boolean inInput = ((ArrayValue) in).asList().stream().anyMatch(n -> Calls.call(
                                "net.cidr_contains", n, ip) == BooleanValue.TRUE);
                        boolean inMerged = merged.elements().stream().anyMatch(n -> Calls.call(
                                "net.cidr_contains", n, ip) == BooleanValue.TRUE);
                        assertThat(inMerged).as("%s in %s vs %s", ip, in, merged).isEqualTo(inInput);
                    }
                });
    }
}
