// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.util.LinkedHashMap;
import java.util.Map;

/** Applies a rule's types to one extracted item: a {@link MappedItem}, or an error naming item, path, value and reason. */
final class ItemMapper {
    /** An item that could not be mapped. */
    static final class ItemException extends Exception {
        private static final long serialVersionUID = 1L;

        ItemException(String message) {
            super(message);
        }
    }

    private final MappingRule rule;
    private final Extractor extractor;

    ItemMapper(MappingRule rule, Extractor extractor) {
        this.rule = rule;
        this.extractor = extractor;
    }

    MappedItem map(Extractor.RawItem item) throws ItemException {
        String key = identifier(item, "key", rule.keyPath(), extractor.key(item));
        JsonValue nameValue = extractor.name(item);
        // no name (or a blank one, as feeds pad unknown callsigns): a new target is named by its key,
        // a known one keeps its name
        boolean blank = nameValue.isString() && nameValue.text().isBlank();
        String name = nameValue.absent() || blank ? null : identifier(item, "name", rule.namePath(), nameValue);
        String ts = item.fetchedAt();
        if (rule.tsPath() != null) {
            JsonValue t = extractor.ts(item);
            try {
                ts = rule.tsFormat().parse(t).toString();
            } catch (ConversionException e) {
                throw error(item, "timestamp", rule.tsPath(), t, e.getMessage());
            }
        }
        Double lat = null;
        Double lon = null;
        if (rule.latPath() != null) {
            JsonValue la = extractor.lat(item);
            JsonValue lo = extractor.lon(item);
            if (la.absent() != lo.absent()) {
                JsonValue missing = la.absent() ? la : lo;
                throw error(item, la.absent() ? "lat" : "lon", la.absent() ? rule.latPath() : rule.lonPath(), missing,
                        "is missing while the other coordinate is given");
            }
            JsonValue geometry = extractor.geometryType(item);
            if (!la.absent() && rule.geometryTypePath() != null && !"Point".equals(geometry.text())) {
                throw error(item, "position", rule.geometryTypePath(), geometry, "is not a GeoJSON Point");
            }
            if (!la.absent()) {
                lat = coordinate(item, "lat", rule.latPath(), la, 90);
                lon = coordinate(item, "lon", rule.lonPath(), lo, 180);
            }
        }
        Map<String, String> attributes = new LinkedHashMap<>();
        Map<String, String> observation = new LinkedHashMap<>();
        for (int i = 0; i < rule.fields().size(); i++) {
            FieldSpec f = rule.fields().get(i);
            JsonValue v = extractor.field(item, i);
            try {
                String json = Converter.convert(f, v);
                if (json != null) {
                    (f.attribute() ? attributes : observation).put(f.name(), json);
                }
            } catch (ConversionException e) {
                throw error(item, "field \"" + f.name() + "\"", f.path(), v, e.getMessage());
            }
        }
        return new MappedItem(item.rawId(), item.ord(), key, name, ts, lat, lon, attributes, observation);
    }

    private static String identifier(Extractor.RawItem item, String what, String path, JsonValue v) throws ItemException {
        try {
            return Converter.identifier(v);
        } catch (ConversionException e) {
            throw error(item, what, path, v, e.getMessage());
        }
    }

    private static double coordinate(Extractor.RawItem item, String what, String path, JsonValue v, double limit)
            throws ItemException {
        try {
            return Converter.coordinate(v, limit);
        } catch (ConversionException e) {
            throw error(item, what, path, v, e.getMessage());
        }
    }

    /** E.g. {@code item 3: field "bikes" at $.num_bikes: "abc" is not an integer}. */
    static ItemException error(Extractor.RawItem item, String what, String path, JsonValue v, String reason) {
        String detail = v.absent()
                ? " found nothing" + (reason.startsWith("is missing") ? reason.substring("is missing".length()) : "")
                : ": " + v.describe() + " " + reason;
        return new ItemException("item " + item.ord() + ": " + what + " at " + path + detail);
    }
}
