package dev.veil.rego.internal.ast;

import dev.veil.rego.internal.value.ArrayValue;
import dev.veil.rego.internal.value.BooleanValue;
import dev.veil.rego.internal.value.NullValue;
import dev.veil.rego.internal.value.NumberValue;
import dev.veil.rego.internal.value.ObjectValue;
import dev.veil.rego.internal.value.StringValue;
import dev.veil.rego.internal.value.Value;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A module as the value of OPA's JSON AST (what {@code rego.parse_module} returns): terms are
 * {@code {"type": ..., "value": ...}}, expressions {@code {"index": i, "terms": ...}}, rules
 * {@code {"head": ..., "body": [...]}}; locations are left out, as OPA leaves them out by default,
 * except on comments ({@code {"Location": {"file", "row", "col"}, "Text": base64}}).
 */
public final class AstJson {
    private AstJson() {
    }

    /** The module. */
    public static ObjectValue module(Module m) {
        ObjectValue.Builder b = ObjectValue.builder();
        b.put("package", obj("path", ref(m.pkg().path())));
        if (!m.imports().isEmpty()) {
            List<Value> imps = new ArrayList<>();
            for (Import i : m.imports()) {
                ObjectValue.Builder ib = ObjectValue.builder();
                ib.put("path", term(i.path()));
                if (i.alias() != null) {
                    ib.put("alias", StringValue.of(i.alias()));
                }
                imps.add(ib.build());
            }
            b.put("imports", ArrayValue.of(imps));
        }
        if (!m.rules().isEmpty()) {
            List<Value> rules = new ArrayList<>();
            for (Rule r : m.rules()) {
                rules.add(rule(r, r));
            }
            b.put("rules", ArrayValue.of(rules));
        }
        if (!m.comments().isEmpty()) {
            List<Value> cs = new ArrayList<>();
            for (Comment c : m.comments()) {
                cs.add(obj("Location", location(c.location()), "Text", StringValue.of(
                        Base64.getEncoder().encodeToString(c.text().getBytes(StandardCharsets.UTF_8)))));
            }
            b.put("comments", ArrayValue.of(cs));
        }
        return b.build();
    }

    private static Value location(Location l) {
        return obj("file", StringValue.of(l.file()), "row", NumberValue.of(l.line()), "col",
                NumberValue.of(l.column()));
    }

    private static ObjectValue rule(Rule r, Rule first) {
        ObjectValue.Builder b = ObjectValue.builder();
        b.put("head", head(r, first));
        b.put("body", body(r.body()));
        if (r.isDefault()) {
            b.put("default", BooleanValue.TRUE);
        }
        if (r.elseRule() != null) {
            b.put("else", rule(r.elseRule(), first));
        }
        return b.build();
    }

    private static ObjectValue head(Rule r, Rule first) {
        ObjectValue.Builder b = ObjectValue.builder();
        Ref ref = first.head();
        b.put("ref", ref(ref));
        if (ref.size() == 1) {
            // OPA's RefHead sets the (deprecated) name only for a one-term head reference.
            b.put("name", StringValue.of(first.name()));
        }
        if (first.args() != null && !first.args().isEmpty()) {
            b.put("args", terms(first.args()));
        }
        if (first.kind() == Rule.Kind.PARTIAL_SET) {
            b.put("key", term(first.key()));
        } else {
            b.put("value", term(r.value()));
        }
        if (r.assign()) {
            b.put("assign", BooleanValue.TRUE);
        }
        return b.build();
    }

    private static ArrayValue body(Body body) {
        List<Value> out = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            out.add(expr(body.get(i), i));
        }
        return ArrayValue.of(out);
    }

    private static Value expr(Expr e, int index) {
        ObjectValue.Builder b = ObjectValue.builder();
        b.put("index", NumberValue.of(index));
        Statement s = e.statement();
        Value terms;
        if (s instanceof Call c) {
            List<Value> ts = new ArrayList<>();
            ts.add(term(c.operator()));
            for (Term a : c.args()) {
                ts.add(term(a));
            }
            terms = ArrayValue.of(ts);
        } else if (s instanceof SomeDecl d) {
            List<Value> syms = new ArrayList<>();
            for (Var v : d.vars()) {
                syms.add(term(v));
            }
            terms = obj("symbols", ArrayValue.of(syms));
        } else if (s instanceof SomeIn si) {
            List<Value> call = new ArrayList<>();
            call.add(term(Ref.of(si.location(), "internal", si.key() == null ? "member_2" : "member_3")));
            if (si.key() != null) {
                call.add(term(si.key()));
            }
            call.add(term(si.value()));
            call.add(term(si.collection()));
            terms = obj("symbols", ArrayValue.of(obj("type", StringValue.of("call"), "value", ArrayValue.of(call))));
        } else if (s instanceof Every ev) {
            terms = obj("key", ev.key() == null ? NullValue.NULL : term(ev.key()), "value", term(ev.value()),
                    "domain", term(ev.domain()), "body", body(ev.body()));
        } else {
            terms = term((Term) s);
        }
        b.put("terms", terms);
        if (e.negated()) {
            b.put("negated", BooleanValue.TRUE);
        }
        if (!e.withs().isEmpty()) {
            List<Value> ws = new ArrayList<>();
            for (With w : e.withs()) {
                ws.add(obj("target", term(w.target()), "value", term(w.value())));
            }
            b.put("with", ArrayValue.of(ws));
        }
        return b.build();
    }

    private static ArrayValue terms(List<? extends Term> ts) {
        List<Value> out = new ArrayList<>(ts.size());
        for (Term t : ts) {
            out.add(term(t));
        }
        return ArrayValue.of(out);
    }

    private static ArrayValue ref(Ref r) {
        return terms(r.terms());
    }

    /** One term as {@code {"type": ..., "value": ...}}, with OPA's type names. */
    public static ObjectValue term(Term t) {
        String type;
        Value value;
        if (t instanceof Scalar s) {
            type = s.value().typeName();
            value = s.value();
        } else if (t instanceof Var v) {
            type = "var";
            value = StringValue.of(v.name());
        } else if (t instanceof Ref r) {
            type = "ref";
            value = ref(r);
        } else if (t instanceof ArrayTerm a) {
            type = "array";
            value = terms(a.elements());
        } else if (t instanceof SetTerm st) {
            type = "set";
            value = terms(st.elements());
        } else if (t instanceof ObjectTerm o) {
            type = "object";
            List<Value> pairs = new ArrayList<>();
            for (ObjectTerm.Entry e : o.entries()) {
                pairs.add(ArrayValue.of(term(e.key()), term(e.value())));
            }
            value = ArrayValue.of(pairs);
        } else if (t instanceof ArrayComprehension ac) {
            type = "arraycomprehension";
            value = obj("term", term(ac.head()), "body", body(ac.body()));
        } else if (t instanceof SetComprehension sc) {
            type = "setcomprehension";
            value = obj("term", term(sc.head()), "body", body(sc.body()));
        } else if (t instanceof ObjectComprehension oc) {
            type = "objectcomprehension";
            value = obj("key", term(oc.key()), "value", term(oc.value()), "body", body(oc.body()));
        } else if (t instanceof Call c) {
            type = "call";
            List<Value> ts = new ArrayList<>();
            ts.add(term(c.operator()));
            for (Term a : c.args()) {
                ts.add(term(a));
            }
            value = ArrayValue.of(ts);
        } else if (t instanceof TemplateString ts) {
            type = "templatestring";
            List<Value> parts = new ArrayList<>();
            for (Node p : ts.parts()) {
                parts.add(p instanceof Expr e ? expr(e, 0) : term((Term) p));
            }
            value = obj("parts", ArrayValue.of(parts));
        } else {
            throw new IllegalArgumentException("no JSON form for " + t);
        }
        return obj("type", StringValue.of(type), "value", value);
    }

    private static ObjectValue obj(Object... kv) {
        ObjectValue.Builder b = ObjectValue.builder();
        for (int i = 0; i < kv.length; i += 2) {
            b.put((String) kv[i], (Value) kv[i + 1]);
        }
        return b.build();
    }
}
