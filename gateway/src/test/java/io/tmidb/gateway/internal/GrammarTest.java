// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal;

import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.FieldRef;
import io.tmidb.gateway.internal.request.Grammar;
import io.tmidb.gateway.internal.request.Operator;
import io.tmidb.gateway.internal.request.OrderItem;
import io.tmidb.gateway.internal.request.SelectItem;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PostgREST's URL grammar as the gateway parses it (no I/O). */
class GrammarTest {

    @Test
    void selectItems() {
        List<SelectItem> items = Grammar.select("*,charge:battery::text,tags->docks->>0");
        assertTrue(items.get(0).star());
        assertEquals("charge", items.get(1).outputName());
        assertEquals("text", items.get(1).cast());
        assertEquals(new FieldRef("tags", List.of(new FieldRef.PathStep("docks", false), new FieldRef.PathStep("0", true))),
                items.get(2).field());
        assertEquals("0", items.get(2).outputName());
        assertEquals("PGRST100", assertThrows(ApiException.class, () -> Grammar.select("a::pg_sleep")).code());
        assertEquals("PGRST100", assertThrows(ApiException.class, () -> Grammar.select("a(b)")).code());
    }

    @Test
    void filters() {
        Condition.Filter f = Grammar.filter("battery", "not.gte.50");
        assertTrue(f.negated());
        assertEquals(Operator.GTE, f.op());
        assertEquals(List.of("50"), f.values());
        assertEquals(List.of("a,b", "c", "d\"e"), Grammar.filter("name", "in.(\"a,b\",c,\"d\\\"e\")").values());
        assertEquals(List.of(), Grammar.filter("name", "in.()").values());
        assertEquals(List.of("x.y.z"), Grammar.filter("name", "eq.x.y.z").values());
        for (String bad : List.of("eq", "approx.1", "in.1,2", "is.maybe", "")) {
            assertEquals("PGRST100", assertThrows(ApiException.class, () -> Grammar.filter("a", bad)).code(), bad);
        }
    }

    @Test
    void inListsAsPostgrestReadsThem() {
        assertEquals(List.of("a\"b", "c\\d", "e,f)"), Grammar.filter("name", "in.(\"a\\\"b\",\"c\\\\d\",\"e,f)\")").values());
        assertEquals(List.of("a\"b", "x"), Grammar.filter("name", "in.(a\"b,x)").values(), "a quote inside an unquoted element is kept");
        assertEquals(List.of("\"ab\"c"), Grammar.filter("name", "in.(\"ab\"c)").values(), "a quoted part followed by more is not quoted");
        assertEquals(List.of("a", "b"), Grammar.filter("name", "in.(a, \"b\")").values());
        assertEquals("PGRST100", assertThrows(ApiException.class, () -> Grammar.filter("name", "in.(a)b)")).code());
    }

    @Test
    void modifiersAndNewOperators() {
        Condition.Filter any = Grammar.filter("model", "like(any).{ci*,ca*}");
        assertEquals(Operator.LIKE, any.op());
        assertEquals("ANY", any.quantifier());
        assertEquals(List.of("{ci*,ca*}"), any.values());
        assertEquals("ALL", Grammar.filter("battery", "gt(all).{1,2}").quantifier());
        Condition.Filter fts = Grammar.filter("model", "not.fts(english).fast");
        assertTrue(fts.negated());
        assertEquals(Operator.FTS, fts.op());
        assertEquals("english", fts.language());
        assertEquals(null, Grammar.filter("model", "wfts.fast bike").language());
        assertEquals(Operator.ISDISTINCT, Grammar.filter("model", "isdistinct.city").op());
        assertEquals(Operator.IMATCH, Grammar.filter("model", "imatch.^ci").op());
        for (String bad : List.of("in(any).{1}", "like(some).{a}", "eq(any).1", "fts(eng lish).a", "is(any).null",
                "cs(any).{1}", "isdistinct(all).{1}")) {
            assertEquals("PGRST100", assertThrows(ApiException.class, () -> Grammar.filter("a", bad)).code(), bad);
        }
        Condition.Logic l = (Condition.Logic) Grammar.logic("or", "(tags.cs.{a,b},model.like(any).{x*,y*},battery.eq.1)");
        assertEquals(3, l.children().size());
        assertEquals(List.of("{a,b}"), ((Condition.Filter) l.children().get(0)).values());
    }

    @Test
    void logicTrees() {
        Condition.Logic l = (Condition.Logic) Grammar.logic("not.or", "(a.eq.1,and(b.gt.2,c.is.null),d.in.(1,2))");
        assertTrue(l.negated());
        assertFalse(l.and());
        assertEquals(3, l.children().size());
        Condition.Logic inner = (Condition.Logic) l.children().get(1);
        assertTrue(inner.and());
        assertEquals(List.of("1", "2"), ((Condition.Filter) l.children().get(2)).values());
        for (String bad : List.of("a.eq.1", "(a.eq.1", "()", "(a)", "(" + "or(".repeat(40) + "a.eq.1" + ")".repeat(41))) {
            assertEquals("PGRST100", assertThrows(ApiException.class, () -> Grammar.logic("or", bad)).code(), bad);
        }
    }

    @Test
    void order() {
        List<OrderItem> items = Grammar.order("battery.desc.nullslast,name");
        assertTrue(items.get(0).descending());
        assertEquals(Boolean.FALSE, items.get(0).nullsFirst());
        assertFalse(items.get(1).descending());
        assertEquals("PGRST100", assertThrows(ApiException.class, () -> Grammar.order("a.sideways")).code());
    }
}
