// SPDX-License-Identifier: MIT
package io.tmidb.connector.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.connector.FetchException;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Selector;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code html}: {@code options.select} (a CSS selector) picks elements; each becomes an object
 * whose {@code options.fields} map names to CSS selectors inside the element. A field is the
 * text of its first match (null when nothing matches); a selector ending in {@code @attr} takes
 * that attribute instead, and a bare {@code @attr} (or an empty selector) means the element itself.
 */
final class HtmlFormat implements Format {
    private static final Pattern ATTRIBUTE = Pattern.compile("^(.*?)\\s*@([A-Za-z_:][-A-Za-z0-9_:.]*)$");

    @Override
    public JsonNode convert(byte[] body, String contentType, JsonNode options) throws FetchException {
        String select = options.path("select").asText("");
        JsonNode fields = options.path("fields");
        if (select.isBlank() || !fields.isObject() || fields.isEmpty()) {
            throw new FetchException(FetchException.Code.BAD_OPTIONS, "an html connector needs options.select and options.fields");
        }
        // jsoup accepts anything, so binary bodies are refused here; the charset is jsoup's to find
        Bodies.requireNoNul(body, "HTML");
        Document doc;
        try {
            // jsoup honours a <meta charset> when the header names none
            doc = Jsoup.parse(new ByteArrayInputStream(body), Bodies.charset(contentType).map(Charset::name).orElse(null), "");
        } catch (IOException e) {
            throw new FetchException(FetchException.Code.BAD_BODY, "the body is not readable HTML: " + e.getMessage(), e);
        }
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        try {
            for (Element element : doc.select(select)) {
                ObjectNode row = out.addObject();
                for (Map.Entry<String, JsonNode> f : fields.properties()) {
                    row.put(f.getKey(), field(element, f.getValue().asText()));
                }
            }
        } catch (Selector.SelectorParseException e) {
            throw new FetchException(FetchException.Code.BAD_OPTIONS, "invalid CSS selector in options: " + e.getMessage(), e);
        }
        return out;
    }

    private static String field(Element element, String selector) {
        Matcher m = ATTRIBUTE.matcher(selector.strip());
        String css = m.matches() ? m.group(1) : selector.strip();
        Element target = css.isEmpty() ? element : element.selectFirst(css);
        if (target == null) {
            return null;
        }
        if (m.matches()) {
            return target.hasAttr(m.group(2)) ? target.attr(m.group(2)) : null;
        }
        return target.text();
    }
}
