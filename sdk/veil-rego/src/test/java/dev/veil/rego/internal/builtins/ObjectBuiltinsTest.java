package dev.veil.rego.internal.builtins;

import static dev.veil.rego.internal.builtins.B.call;
import static dev.veil.rego.internal.builtins.B.j;
import static dev.veil.rego.internal.builtins.B.json;
import static dev.veil.rego.internal.builtins.B.n;
import static dev.veil.rego.internal.builtins.B.s;
import static dev.veil.rego.internal.builtins.B.set;
import static dev.veil.rego.internal.builtins.B.typeError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.Value;
import org.junit.jupiter.api.Test;

class ObjectBuiltinsTest {

    private static final Value DOC = j("{\"a\": {\"b\": [10, {\"c\": true}]}, \"x\": 1}");

    @Test
    void objectGetByKeyOrPath() {
        assertThat(json(call("object.get", DOC, s("x"), n("0")))).isEqualTo("1");
        assertThat(json(call("object.get", DOC, s("y"), n("0")))).isEqualTo("0");
        assertThat(json(call("object.get", DOC, j("[\"a\", \"b\", 1, \"c\"]"), n("0")))).isEqualTo("true");
        assertThat(json(call("object.get", DOC, j("[\"a\", \"b\", 2]"), s("d")))).isEqualTo("\"d\"");
        assertThat(json(call("object.get", DOC, j("[\"a\", \"b\", \"1\"]"), s("d")))).isEqualTo("\"d\"");
        assertThat(json(call("object.get", DOC, j("[\"x\", \"y\"]"), s("d")))).isEqualTo("\"d\"");
        assertThat(call("object.get", DOC, j("[]"), s("d"))).isEqualTo(DOC);
        ObjectValue withSet = ObjectValue.of(s("s"), set(s("m")));
        assertThat(json(call("object.get", withSet, j("[\"s\", \"m\"]"), NullValue.NULL))).isEqualTo("\"m\"");
        assertThat(json(call("object.get", withSet, j("[\"s\", \"n\"]"), NullValue.NULL))).isEqualTo("null");
        typeError("object.get", "object.get: operand 1 must be object but got string", s("a"), s("b"), n("1"));
    }

    @Test
    void objectRemoveFilterKeys() {
        assertThat(json(call("object.remove", DOC, j("[\"a\"]")))).isEqualTo("{\"x\":1}");
        assertThat(json(call("object.remove", DOC, set(s("x"))))).startsWith("{\"a\"");
        assertThat(json(call("object.remove", DOC, j("{\"a\": 0}")))).isEqualTo("{\"x\":1}");
        assertThat(json(call("object.filter", DOC, j("[\"x\", \"nope\"]")))).isEqualTo("{\"x\":1}");
        assertThat(json(call("object.filter", DOC, j("{}")))).isEqualTo("{}");
        assertThat(call("object.keys", DOC)).isEqualTo(set(s("a"), s("x")));
        typeError("object.remove", "object.remove: operand 1 must be object but got array", j("[]"), j("[]"));
        typeError("object.remove", "object.remove: operand 2 must be one of {object, set, array} but got number",
                DOC, n("1"));
        typeError("object.filter", "object.filter: operand 1 must be object but got null", NullValue.NULL, j("[]"));
        typeError("object.filter", "object.filter: operand 2 must be one of {object, set, array} but got string",
                DOC, s("x"));
        typeError("object.keys", "object.keys: operand 1 must be object but got string", s("x"));
    }

    @Test
    void objectUnionMergesRecursivelyRightWins() {
        assertThat(json(call("object.union", j("{\"a\": {\"b\": 1, \"c\": 2}, \"d\": 1}"),
                j("{\"a\": {\"b\": 3}, \"d\": {\"e\": 1}}")))).isEqualTo("{\"a\":{\"b\":3,\"c\":2},\"d\":{\"e\":1}}");
        assertThat(json(call("object.union_n", j("[{\"a\": {\"b\": 2}}, {\"a\": 4}, {\"a\": {\"c\": 3}}]"))))
                .isEqualTo("{\"a\":{\"c\":3}}");
        assertThat(json(call("object.union_n", j("[]")))).isEqualTo("{}");
        typeError("object.union", "object.union: operand 1 must be object but got array", j("[]"), j("{}"));
        typeError("object.union", "object.union: operand 2 must be object but got array", j("{}"), j("[]"));
        typeError("object.union_n", "object.union_n: operand 1 must be array of objects but got array containing "
                + "number", j("[{}, 1]"));
    }

    @Test
    void objectSubset() {
        assertThat(call("object.subset", j("{\"a\": {\"b\": 1, \"c\": 2}, \"d\": [1,2,3]}"),
                j("{\"a\": {\"b\": 1}, \"d\": [2,3]}"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("object.subset", j("{\"a\": 1}"), j("{\"a\": 2}"))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("object.subset", j("[1,2,3,4]"), j("[2,4]"))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("object.subset", j("[1,2,3,4]"), j("[2,3]"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("object.subset", j("[1,1,2]"), j("[1,2]"))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("object.subset", j("[1,2,3]"), set(n("3"), n("1")))).isEqualTo(BooleanValue.TRUE);
        assertThat(call("object.subset", j("[1,2,3]"), set(n("4")))).isEqualTo(BooleanValue.FALSE);
        assertThat(call("object.subset", set(n("1"), n("2")), set(n("1")))).isEqualTo(BooleanValue.TRUE);
        typeError("object.subset", "object.subset: both arguments object.subset must be of the same type or array "
                + "and set", j("{}"), j("[]"));
    }

    @Test
    void jsonFilterAndRemoveTakePointersOrSegmentArrays() {
        Value doc = j("{\"a\": {\"b\": 1, \"c\": [5, 6, 7]}, \"d/e\": 2, \"f\": 3}");
        assertThat(json(call("json.filter", doc, j("[\"a/b\", \"d~1e\"]")))).isEqualTo("{\"a\":{\"b\":1},\"d/e\":2}");
        assertThat(json(call("json.filter", doc, set(s("a/c/1"))))).isEqualTo("{\"a\":{\"c\":[6]}}");
        assertThat(json(call("json.filter", doc, j("[[\"a\", \"b\"], \"a\"]")))).isEqualTo(
                "{\"a\":{\"b\":1,\"c\":[5,6,7]}}");
        assertThat(json(call("json.remove", doc, j("[\"a/c/0\", \"f\"]"))))
                .isEqualTo("{\"a\":{\"b\":1,\"c\":[6,7]},\"d/e\":2}");
        assertThat(json(call("json.remove", doc, j("[[\"a\"], \"/d~1e\"]")))).isEqualTo("{\"f\":3}");
        typeError("json.remove", "json.remove: operand 1 must be object but got number", n("1"), j("[]"));
        typeError("json.remove", "json.remove: operand 2 must be one of {set, array} but got boolean", doc,
                BooleanValue.TRUE);
        typeError("json.remove", "json.remove: operand 2 must be one of {set, array} containing string paths or "
                + "array of path segments but got object", doc, j("[{}]"));
        typeError("json.filter", "json.filter: operand 2 must be one of {set, array} but got string", doc, s("a"));
    }

    @Test
    void jsonPatchAppliesRfc6902AndIsUndefinedOnFailure() {
        Value doc = j("{\"a\": [1, 2], \"b\": {\"c\": 1}}");
        assertThat(json(call("json.patch", doc, j("[{\"op\": \"add\", \"path\": \"/a/-\", \"value\": 3},"
                + "{\"op\": \"add\", \"path\": \"/a/0\", \"value\": 0},"
                + "{\"op\": \"replace\", \"path\": \"/b/c\", \"value\": 9},"
                + "{\"op\": \"copy\", \"from\": \"/b\", \"path\": \"/d\"},"
                + "{\"op\": \"move\", \"from\": \"/d/c\", \"path\": \"/e\"},"
                + "{\"op\": \"remove\", \"path\": \"/a/1\"},"
                + "{\"op\": \"test\", \"path\": \"/e\", \"value\": 9}]"))))
                .isEqualTo("{\"a\":[0,2,3],\"b\":{\"c\":9},\"d\":{},\"e\":9}");
        assertThat(json(call("json.patch", doc, j("[{\"op\": \"add\", \"path\": \"\", \"value\": 5}]"))))
                .isEqualTo("5");
        assertThat(json(call("json.patch", s("foo"), j("[{\"op\": \"replace\", \"path\": \"\", \"value\": 5}]"))))
                .isEqualTo("5");
        assertThat(json(call("json.patch", set(s("x")), j("[{\"op\": \"add\", \"path\": \"/y\", \"value\": \"y\"}]"))))
                .isEqualTo("[\"x\",\"y\"]");
        assertThat(call("json.patch", doc, j("[{\"op\": \"test\", \"path\": \"/b/c\", \"value\": 2}]"))).isNull();
        assertThat(call("json.patch", doc, j("[{\"op\": \"remove\", \"path\": \"/zz\"}]"))).isNull();
        assertThat(call("json.patch", doc, j("[{\"op\": \"add\", \"path\": \"/a/5\", \"value\": 1}]"))).isNull();
        assertThat(call("json.patch", doc, j("[{\"op\": \"frob\", \"path\": \"/a\"}]"))).isNull();
        assertThat(call("json.patch", doc, j("[{\"op\": \"test\", \"path\": \"/a/00\", \"value\": 1}]"))).isNull();
        assertThat(call("json.patch", doc, j("[{\"op\": \"test\", \"path\": \"/a/0\", \"value\": 1}]")))
                .isEqualTo(doc);
        assertThat(call("json.patch", doc, j("[{\"path\": \"/a\"}]"))).isNull();
        assertThat(call("json.patch", doc, j("[1]"))).isNull();
        typeError("json.patch", "json.patch: operand 2 must be array but got object", doc, j("{}"));
    }
}
