// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Maps the items of one document and judges them together, for mistakes no single item shows:
 * a rule whose lat and lon look swapped on most items fails every positioned item (a swapped
 * position inside both ranges would otherwise be stored without a word), and a rule path that
 * matched nothing in any item is named in a warning (a typo in an optional path would otherwise
 * drop the value silently).
 */
final class DocumentMapper {
    /** What a document became: the good items, an error per bad item, warnings, and the item count. */
    record Result(List<MappedItem> good, List<String> errors, List<String> warnings, int items) {
    }

    private final MappingRule rule;
    private final Extractor extractor;
    private final ItemMapper mapper;

    DocumentMapper(MappingRule rule, Extractor extractor) {
        this.rule = rule;
        this.extractor = extractor;
        this.mapper = new ItemMapper(rule, extractor);
    }

    /** Maps the items of one document, in item order. */
    Result map(List<Extractor.RawItem> items) {
        List<MappedItem> good = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        String swapped = swapped(items);
        for (Extractor.RawItem item : items) {
            try {
                if (swapped != null && position(item).isPresent()) {
                    JsonValue lat = extractor.lat(item);
                    throw ItemMapper.error(item, "lat", rule.latPath(), lat, "and lon at " + rule.lonPath() + ": "
                            + extractor.lon(item).describe() + " look swapped: " + swapped);
                }
                good.add(mapper.map(item));
            } catch (ItemMapper.ItemException e) {
                errors.add(e.getMessage());
            }
        }
        return new Result(good, errors, unmatched(items), items.size());
    }

    /**
     * Why the document's positions look swapped, or null: on most positioned items lat is outside
     * [-90, 90] while lon is inside it, which the other order would fit.
     */
    private String swapped(List<Extractor.RawItem> items) {
        if (rule.latPath() == null) {
            return null;
        }
        int positioned = 0;
        int misfit = 0;
        for (Extractor.RawItem item : items) {
            Optional<double[]> p = position(item);
            if (p.isPresent()) {
                positioned++;
                if (Math.abs(p.get()[0]) > 90 && Math.abs(p.get()[1]) <= 90) {
                    misfit++;
                }
            }
        }
        if (misfit * 2 <= positioned) {
            return null;
        }
        return "on " + misfit + " of " + positioned + " items lat is outside [-90, 90] while lon is inside;"
                + " GeoJSON and many feeds write [lon, lat]: swap the lat and lon paths,"
                + " or read a GeoJSON geometry with \"position\": {\"geojson\": \"$.geometry\"}";
    }

    /** The item's lat and lon when both are numbers. */
    private Optional<double[]> position(Extractor.RawItem item) {
        Optional<BigDecimal> lat = extractor.lat(item).number();
        Optional<BigDecimal> lon = extractor.lon(item).number();
        return lat.isPresent() && lon.isPresent()
                ? Optional.of(new double[] {lat.get().doubleValue(), lon.get().doubleValue()}) : Optional.empty();
    }

    /** Optional paths of the rule that found nothing in any item (JSON null counts as found). */
    private List<String> unmatched(List<Extractor.RawItem> items) {
        List<String> warnings = new ArrayList<>();
        if (items.isEmpty()) {
            return warnings;
        }
        String inAll = " matched nothing in any of " + items.size() + " items";
        if (rule.namePath() != null && items.stream().allMatch(i -> extractor.name(i).type() == null)) {
            warnings.add("name at " + rule.namePath() + inAll);
        }
        if (rule.latPath() != null && items.stream().allMatch(i -> extractor.lat(i).type() == null)) {
            warnings.add("lat at " + rule.latPath() + inAll);
        }
        if (rule.lonPath() != null && items.stream().allMatch(i -> extractor.lon(i).type() == null)) {
            warnings.add("lon at " + rule.lonPath() + inAll);
        }
        for (int f = 0; f < rule.fields().size(); f++) {
            FieldSpec spec = rule.fields().get(f);
            int index = f;
            if (!spec.required() && items.stream().allMatch(i -> extractor.field(i, index).type() == null)) {
                warnings.add("field \"" + spec.name() + "\" at " + spec.path() + inAll);
            }
        }
        return warnings;
    }
}
