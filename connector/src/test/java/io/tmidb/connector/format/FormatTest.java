// SPDX-License-Identifier: MIT
package io.tmidb.connector.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.connector.FetchException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The format converters on bodies in memory. */
class FormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode convert(String format, String body, String contentType, String options) throws Exception {
        return Format.named(format).convert(body.getBytes(StandardCharsets.UTF_8), contentType, JSON.readTree(options));
    }

    private static FetchException refused(String format, byte[] body, String options) {
        return assertThrows(FetchException.class, () -> Format.named(format).convert(body, null, JSON.readTree(options)));
    }

    @Test
    void jsonIsKeptAsItIs() throws Exception {
        assertEquals(JSON.readTree("{\"a\": [1, 2.5, null, \"x\"]}"), convert("json", " {\"a\": [1, 2.5, null, \"x\"]} ", "application/json", "{}"));
        assertEquals(JSON.readTree("[1]"), convert("json", "\uFEFF[1]", null, "{}"));
    }

    @Test
    void badJsonIsRefusedWithWhereAndWhy() {
        FetchException garbage = refused("json", "{\"a\": 1,, garbage".getBytes(StandardCharsets.UTF_8), "{}");
        assertEquals(FetchException.Code.BAD_BODY, garbage.code());
        assertTrue(garbage.getMessage().startsWith("the body is not valid JSON at line 1"), garbage.getMessage());
        assertTrue(refused("json", "{} {}".getBytes(StandardCharsets.UTF_8), "{}").getMessage().contains("not valid JSON"));
        assertTrue(refused("json", new byte[0], "{}").getMessage().contains("empty"));
        assertTrue(refused("json", new byte[] {(byte) 0xC3, 0x28}, "{}").getMessage().contains("not valid UTF-8"));
    }

    @Test
    void csvRowsBecomeObjectsNamedByTheHeader() throws Exception {
        assertEquals(JSON.readTree("[{\"id\": \"B1\", \"name\": \"Main St, north\", \"bikes\": \"4\"}, {\"id\": \"B2\", \"name\": \"\", \"bikes\": \"0\"}]"),
                convert("csv", "id,name,bikes\r\nB1,\"Main St, north\",4\r\nB2,,0\r\n", "text/csv", "{}"));
        assertEquals(JSON.readTree("[{\"a\": \"1\", \"b\": \"x,y\"}]"), convert("csv", "a;b\n1;x,y\n", null, "{\"delimiter\": \";\"}"));
        assertEquals(JSON.readTree("[]"), convert("csv", "a,b\n", null, "{}"));
    }

    @Test
    void badCsvIsRefused() {
        assertTrue(refused("csv", "a,b\n1,2,3\n".getBytes(StandardCharsets.UTF_8), "{}").getMessage()
                .contains("has 3 fields; the header has 2"));
        assertTrue(refused("csv", "a,a\n1,2\n".getBytes(StandardCharsets.UTF_8), "{}").getMessage().contains("not valid CSV"));
        assertTrue(refused("csv", "a,b\n\"1,2\n".getBytes(StandardCharsets.UTF_8), "{}").getMessage().contains("not valid CSV"));
        assertTrue(refused("csv", "".getBytes(StandardCharsets.UTF_8), "{}").getMessage().contains("no header"));
        assertTrue(refused("csv", "a,b\n1,\0\n".getBytes(StandardCharsets.UTF_8), "{}").getMessage().contains("NUL"));
    }

    @Test
    void htmlSelectionsBecomeObjects() throws Exception {
        String page = "<html><body><table class=stations>"
                + "<tr><td class=name>Main St</td><td class=bikes>4</td><td><a href='/s/1'>more</a></td></tr>"
                + "<tr><td class=name> City  Hall </td><td class=bikes>0</td></tr>"
                + "</table><p>not a station</p></body></html>";
        String options = "{\"select\": \"table.stations tr\", \"fields\": {\"name\": \"td.name\", \"bikes\": \"td.bikes\","
                + " \"link\": \"a @href\", \"row\": \"@class\"}}";
        assertEquals(JSON.readTree("[{\"name\": \"Main St\", \"bikes\": \"4\", \"link\": \"/s/1\", \"row\": null},"
                        + " {\"name\": \"City Hall\", \"bikes\": \"0\", \"link\": null, \"row\": null}]"),
                convert("html", page, "text/html; charset=utf-8", options));
        FetchException selector = assertThrows(FetchException.class, () -> convert("html", page, null,
                "{\"select\": \"tr[\", \"fields\": {\"a\": \"td\"}}"));
        assertEquals(FetchException.Code.BAD_OPTIONS, selector.code());
        assertTrue(selector.getMessage().contains("invalid CSS selector"), selector.getMessage());
        assertEquals(FetchException.Code.BAD_BODY, refused("html", new byte[] {'<', 'p', '>', 0, 1, 2}, options).code());
        // a page that names its charset in a meta tag only is read in that charset
        byte[] latin1 = "<meta charset=iso-8859-1><table class=stations><tr><td class=name>Caf\u00e9</td></tr></table>"
                .getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("Caf\u00e9", Format.named("html").convert(latin1, "text/html", JSON.readTree(options)).get(0).get("name").asText());
    }

    @Test
    void textIsWrappedAndDecodedByItsCharset() throws Exception {
        assertEquals(JSON.readTree("{\"text\": \"caf\u00e9\\nline 2\"}"), convert("text", "caf\u00e9\nline 2", "text/plain; charset=UTF-8", "{}"));
        byte[] latin1 = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("caf\u00e9", Format.named("text").convert(latin1, "text/plain; charset=iso-8859-1", JSON.readTree("{}")).get("text").asText());
        assertTrue(refused("text", latin1, "{}").getMessage().contains("not valid UTF-8"));
    }
}
