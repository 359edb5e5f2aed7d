// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.normalizer.eval.FeedCase;
import io.tmidb.normalizer.internal.Path;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Generates the training corpus: feeds in the shapes of public formats (GBFS, GeoJSON,
 * SensorThings, OpenAQ, METAR-like CSV, OpenSky-like arrays, HTML tables) and many synthetic
 * variations (member names in several styles and languages, cryptic names, positional rows,
 * nested positions, every timestamp format, numbers as text with units, distractor fields that
 * look like coordinates, keys or times), each with the rule a person would write. Deterministic
 * for a seed. None of the evaluation set's feeds is generated here.
 */
final class Corpus {
    private static final JsonNodeFactory N = JsonNodeFactory.instance;
    private static final double[][] PLACES = {
        {48.8566, 2.3522}, {40.7128, -74.0060}, {35.6762, 139.6503}, {-33.8688, 151.2093}, {51.5074, -0.1278},
        {-23.5505, -46.6333}, {37.7749, -122.4194}, {52.5200, 13.4050}, {19.4326, -99.1332}, {1.3521, 103.8198},
        {55.7558, 37.6173}, {-34.6037, -58.3816}, {28.6139, 77.2090}, {30.0444, 31.2357}, {64.1466, -21.9426},
        {-1.2921, 36.8219}, {45.5017, -73.5673}, {59.3293, 18.0686}, {41.9028, 12.4964}, {39.9042, 116.4074},
        {-41.2865, 174.7762}, {21.3069, -157.8583}, {61.2181, -149.9003}, {25.2048, 55.2708}, {6.5244, 3.3792},
        {47.3769, 8.5417}, {43.6532, -79.3832}, {-37.8136, 144.9631}, {13.7563, 100.5018}, {60.1699, 24.9384},
    };
    private static final String[] STREETS = {"Main St", "Gare du Nord", "Market Square", "Harbour View", "Rue de Rivoli",
        "Central Park West", "Alexanderplatz", "Shibuya Crossing", "King's Cross", "Plaza Mayor", "Old Town Hall",
        "Riverside Dr", "Union Station", "Bahnhofstrasse", "Avenida Paulista", "Queen St", "Nørreport", "Piazza Navona",
        "Dam Square", "Victoria Park", "Ocean Blvd", "Hill Rd", "Lakeside", "North Gate", "City Library"};
    private static final String[] CATEGORIES = {"IN_SERVICE", "OUT_OF_SERVICE", "PLANNED", "ok", "degraded", "VFR", "IFR",
        "open", "closed", "active"};

    private final Random rnd;
    private final Instant base;

    Corpus(long seed) {
        rnd = new Random(seed);
        base = Instant.parse("2026-11-27T10:00:00Z").plusSeconds(rnd.nextInt(86400 * 200) - 86400 * 100);
    }

    /** One column of the generated items: where it goes in an item, its role and its values. */
    private record Col(List<Object> path, String role, Gen gen, String type, boolean attribute, String format,
                       String pattern, String unit) {
    }

    /** The value of a column for item {@code i} in document {@code d}. */
    private interface Gen {
        JsonNode at(int i, int d);
    }

    FeedCase next(int n) {
        reset();
        int family = rnd.nextInt(9);
        return switch (family) {
            case 0 -> gbfs(n);
            case 1 -> geojson(n);
            case 2 -> positional(n);
            case 3 -> table(n);
            default -> synthetic(n);
        };
    }

    // ---- families -----------------------------------------------------------------------------

    private FeedCase gbfs(int n) {
        List<Col> cols = new ArrayList<>();
        String ts = pick("last_reported", "last_updated", "reported_at");
        cols.add(key(List.of("station_id"), pick(0, 1, 2, 3)));
        if (rnd.nextBoolean()) {
            cols.add(name(List.of("name")));
            cols.add(latCol(List.of("lat"), false));
            cols.add(lonCol(List.of("lon"), false));
            cols.add(count(List.of("capacity"), true));
        }
        cols.add(count(List.of("num_bikes_available"), false));
        cols.add(count(List.of("num_docks_available"), false));
        if (rnd.nextBoolean()) {
            cols.add(count(List.of("num_ebikes_available"), false));
        }
        cols.add(flag(List.of("is_installed"), true));
        cols.add(flag(List.of("is_renting"), true));
        cols.add(time(List.of(ts), "epoch_s"));
        return build("gbfs", cols, n, (items, d) -> {
            ObjectNode doc = N.objectNode();
            doc.put("last_updated", base.getEpochSecond() + d * 60);
            doc.put("ttl", 60);
            doc.putObject("data").set("stations", items);
            return doc;
        }, "$.data.stations[*]", "station");
    }

    private FeedCase geojson(int n) {
        List<Col> cols = new ArrayList<>();
        boolean topId = rnd.nextBoolean();
        cols.add(key(topId ? List.of("id") : List.of("properties", pick("id", "code", "station_id", "ref", "sensor_id")), rnd.nextInt(4)));
        if (rnd.nextBoolean()) {
            cols.add(name(List.of("properties", pick("name", "title", "place", "label", "location"))));
        }
        String format = pick("epoch_ms", "iso8601", "epoch_s");
        cols.add(time(List.of("properties", pick("time", "updated", "observed", "timestamp", "date")), format));
        cols.add(new Col(List.of("geometry", "coordinates", 1), "lat", place(true, false), "number", true, null, null, null));
        cols.add(new Col(List.of("geometry", "coordinates", 0), "lon", place(false, false), "number", true, null, null, null));
        if (rnd.nextBoolean()) {
            cols.add(new Col(List.of("geometry", "coordinates", 2), "field", real(0, 80, 2), "number", false, null, null, null));
        }
        int extra = 1 + rnd.nextInt(5);
        for (int k = 0; k < extra; k++) {
            cols.add(distractor(List.of("properties", word())));
        }
        return build("geojson", cols, n, (items, d) -> {
            ObjectNode doc = N.objectNode();
            doc.put("type", "FeatureCollection");
            for (JsonNode f : items) {
                ((ObjectNode) f).put("type", "Feature");
                ((ObjectNode) f.get("geometry")).put("type", "Point");
            }
            doc.set("features", items);
            return doc;
        }, "$.features[*]", pick("quake", "sensor", "feature", "station"));
    }

    private FeedCase positional(int n) {
        List<Col> cols = new ArrayList<>();
        cols.add(key(null, pick(2, 3, 4, 5)));
        if (rnd.nextInt(3) > 0) {
            cols.add(name(null));
        }
        if (rnd.nextInt(4) > 0) {
            cols.add(time(null, pick("epoch_s", "epoch_ms", "iso8601")));
        }
        if (rnd.nextInt(5) > 0) {
            boolean latFirst = rnd.nextBoolean();
            Col lat = latCol(null, rnd.nextInt(6) == 0);
            Col lon = lonCol(null, lat.type.equals("text"));
            cols.add(latFirst ? lat : lon);
            cols.add(latFirst ? lon : lat);
        }
        int extra = 2 + rnd.nextInt(8);
        for (int k = 0; k < extra; k++) {
            cols.add(distractor(null));
        }
        shuffleKeepingPairs(cols);
        List<Col> placed = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Col c = cols.get(i);
            placed.add(new Col(List.of(i), c.role, c.gen, c.type, c.attribute, c.format, c.pattern, c.unit));
        }
        String arrayName = pick("states", "rows", "data", "vehicles", "ac", "records", "values", "flights", "positions");
        return build("rows", placed, n, (items, d) -> {
            ObjectNode doc = N.objectNode();
            doc.put("time", base.getEpochSecond() + d * 10);
            doc.set(arrayName, items);
            return doc;
        }, "$." + arrayName + "[*]", "item");
    }

    /**
     * An HTML table or CSV file through a connector: rows of strings keyed by the first cell, a
     * label ("U1", "Linie 5", "P3 Altstadt") that is also the row's name; numbers, states,
     * local times and values with units as text; sometimes a unique code or count beside the key.
     */
    private FeedCase table(int n) {
        List<Col> cols = new ArrayList<>();
        String head = pick("line", "garage", "route", "stop", "lift", "platform_name", "Linie", "Parkhaus", "flight", "service",
                "station", "ligne", "nombre");
        String prefix = pick("U", "Linie ", "P", "Route ", "LH ", "Bus ", "RE ", "S");
        int off = rnd.nextInt(STREETS.length);
        boolean withStreet = rnd.nextBoolean();
        cols.add(new Col(List.of(head), "key", (i, d) -> N.textNode(prefix + (1 + i * (1 + off % 3))
                + (withStreet ? " " + STREETS[(off + i) % STREETS.length] : "")), "text", true, null, null, null));
        if (rnd.nextInt(4) == 0) {
            cols.add(name(List.of(pick("name", "Bezeichnung", "label", "title"))));
        }
        if (rnd.nextBoolean()) {
            String pattern = pick("dd.MM.yyyy HH:mm", "MM/dd/yyyy h:mm a", "dd/MM/yyyy HH:mm", "yyyy-MM-dd HH:mm");
            Col t = time(List.of(pick("updated", "Stand", "scheduled", "time", "as_of", "Zeit", "heure")), "pattern");
            boolean iso = pattern.equals("yyyy-MM-dd HH:mm");
            cols.add(new Col(t.path, "timestamp", (i, d) -> N.textNode(DateTimeFormatter.ofPattern(pattern, Locale.ROOT)
                    .withZone(ZoneOffset.UTC).format(base.plusSeconds(d * 300L + i * 60L))), "timestamp", false,
                    iso ? "iso8601" : "pattern", iso ? null : pattern, null));
        }
        int extra = 1 + rnd.nextInt(5);
        for (int k = 0; k < extra; k++) {
            int kind = rnd.nextInt(5);
            List<Object> path = List.of(styled(rnd.nextInt(5), word()));
            cols.add(switch (kind) {
                case 0 -> new Col(path, "field", (i, d) -> N.textNode(String.valueOf(100 + i * 50)), "integer", true, null, null, null);
                case 1 -> new Col(path, "field", (i, d) -> N.textNode(pick2(i, "A", "B", "C") + (10 + i)), "text", true, null, null, null);
                case 2 -> new Col(path, "field", (i, d) -> N.textNode(String.valueOf((i * 37 + d * 11) % 300)), "integer", false,
                        null, null, null);
                case 3 -> new Col(path, "field", (i, d) -> N.textNode(CATEGORIES[(i + d) % 4]), "text", false, null, null, null);
                default -> new Col(path, "field", (i, d) -> N.textNode((i * 3 + d) % 20 + " min"), "number", false, null, null, "min");
            });
        }
        List<Col> rest = new ArrayList<>(cols.subList(1, cols.size()));
        java.util.Collections.shuffle(rest, rnd);
        cols.subList(1, cols.size()).clear();
        cols.addAll(rest);
        return build("table", cols, n, (items, d) -> {
            ObjectNode env = N.objectNode();
            env.put("connector_id", 5);
            env.put("connector", "table");
            env.put("url", "http://127.0.0.1/table");
            env.put("fetched_at", DateTimeFormatter.ISO_INSTANT.format(base.plusSeconds(d * 60L)));
            env.put("http_status", 200);
            env.put("content_type", pick("text/html", "text/csv"));
            env.set("data", items);
            return env;
        }, "$.data[*]", "row");
    }

    private FeedCase synthetic(int n) {
        List<Col> cols = new ArrayList<>();
        int style = rnd.nextInt(5);
        int vocab = rnd.nextInt(4);
        cols.add(key(List.of(named(style, vocab, "key")), rnd.nextInt(7)));
        if (rnd.nextInt(3) > 0) {
            cols.add(name(List.of(named(style, vocab, "name"))));
        }
        if (rnd.nextInt(5) > 0) {
            String format = pick("iso8601", "iso8601", "epoch_s", "epoch_ms", "pattern", "sql");
            cols.add(time(List.of(named(style, vocab, "time")), format));
        }
        int pos = rnd.nextInt(6);
        if (pos > 0) {
            boolean text = rnd.nextInt(5) == 0;
            List<Object> latPath;
            List<Object> lonPath;
            if (pos == 1) {
                String parent = named(style, rnd.nextInt(4), "parent");
                latPath = List.of(parent, named(style, vocab, "lat"));
                lonPath = List.of(parent, named(style, vocab, "lon"));
            } else if (pos == 2) {
                String tuple = named(style, rnd.nextInt(4), "parent");
                boolean lonFirst = rnd.nextBoolean();
                latPath = List.of(tuple, lonFirst ? 1 : 0);
                lonPath = List.of(tuple, lonFirst ? 0 : 1);
                text = false;
            } else {
                latPath = List.of(named(style, vocab, "lat"));
                lonPath = List.of(named(style, vocab, "lon"));
            }
            cols.add(new Col(latPath, "lat", place(true, text), text ? "text" : "number", true, null, null, null));
            cols.add(new Col(lonPath, "lon", place(false, text), text ? "text" : "number", true, null, null, null));
        }
        int extra = 1 + rnd.nextInt(10);
        for (int k = 0; k < extra; k++) {
            cols.add(distractor(List.of(rnd.nextInt(4) == 0 ? cryptic() : styled(style, word()))));
        }
        shuffleKeepingPairs(cols);
        int container = rnd.nextInt(6);
        String arrayName = styled(style, pick("stations", "items", "sensors", "devices", "points", "results", "list", "entries",
                "vehicles", "locations", "observations", "objects", "nodes"));
        String wrapper = pick("data", "response", "payload", "body", "result");
        boolean envelope = rnd.nextInt(4) == 0;
        String iterate = switch (container) {
            case 0 -> "$[*]";
            case 1, 2 -> "$." + arrayName + "[*]";
            case 3 -> "$." + wrapper + "." + arrayName + "[*]";
            default -> "$." + arrayName + "[*]";
        };
        if (envelope) {
            iterate = "$.data" + iterate.substring(1);
        }
        final String it = iterate;
        return build("synthetic", cols, n, (items, d) -> {
            JsonNode body;
            if (container == 0) {
                body = items;
            } else if (container == 3) {
                ObjectNode o = N.objectNode();
                o.putObject(wrapper).set(arrayName, items);
                o.put("count", items.size());
                body = o;
            } else {
                ObjectNode o = N.objectNode();
                o.put(pick("generated", "updated", "asOf"), DateTimeFormatter.ISO_INSTANT.format(base.plusSeconds(d * 60L)));
                o.put("version", "1." + rnd.nextInt(5));
                o.set(arrayName, items);
                body = o;
            }
            if (!envelope) {
                return body;
            }
            ObjectNode env = N.objectNode();
            env.put("connector_id", 3);
            env.put("connector", "feed");
            env.put("url", "http://127.0.0.1/feed");
            env.put("fetched_at", DateTimeFormatter.ISO_INSTANT.format(base.plusSeconds(d * 60L)));
            env.put("http_status", 200);
            env.put("content_type", "application/json");
            env.set("data", body);
            return env;
        }, it, "item");
    }

    // ---- columns ----------------------------------------------------------------------------

    private Col key(List<Object> path, int style) {
        int offset = rnd.nextInt(9000);
        String prefix = pick("ST", "K", "urn:dev:", "N", "A", "B-", "sensor-", "");
        Gen g = switch (style) {
            case 0 -> (i, d) -> N.textNode(String.valueOf(offset + i * (1 + offset % 7)));
            case 1 -> (i, d) -> N.textNode(new java.util.UUID(offset * 7919L + i, i * 104729L + offset).toString());
            case 2 -> (i, d) -> N.textNode(String.format(Locale.ROOT, "%06x", (offset * 31 + i * 977) & 0xffffff));
            case 3 -> (i, d) -> N.textNode(prefix + (offset + i));
            case 4 -> (i, d) -> N.numberNode(offset + i * 3L);
            case 5 -> (i, d) -> N.textNode(pick2(i, "LH", "P", "ICE", "Bus", "AF") + (i % 5 == 1 ? "" : " ") + (offset % 900 + i * 7)
                    + (i % 3 == 0 ? " " + STREETS[i % STREETS.length] : ""));
            default -> (i, d) -> N.textNode(String.format(Locale.ROOT, "%s%03d  ", pick2(i, "FLT", "ABC", "TRN"), i));
        };
        return new Col(path, "key", g, "text", true, null, null, null);
    }

    private Col name(List<Object> path) {
        int off = rnd.nextInt(STREETS.length);
        boolean suffix = rnd.nextBoolean();
        int style = rnd.nextInt(5);
        String code = pick("DLH", "UAL", "SAT-", "MS ", "RE ", "");
        return new Col(path, "name", (i, d) -> {
            String street = STREETS[(off + i) % STREETS.length];
            String n = street + (suffix || i >= STREETS.length ? " " + (i / 3 + 1) : "");
            return N.textNode(switch (style) {
                case 0 -> n.replace(' ', '-');
                case 1 -> n.toUpperCase(Locale.ROOT);
                case 2 -> String.format(Locale.ROOT, "%-8s", code + (100 + (off * 7 + i * 13) % 900));
                default -> n;
            });
        }, "text", true, null, null, null);
    }

    private Col time(List<Object> path, String format) {
        int step = 30 + rnd.nextInt(600);
        String pattern = pick("dd/MM/yyyy HH:mm", "MM/dd/yyyy HH:mm:ss", "dd.MM.yyyy HH:mm", "yyyy/MM/dd HH:mm:ss");
        boolean asText = rnd.nextInt(4) == 0;
        boolean offset = rnd.nextBoolean();
        Gen g = (i, d) -> {
            Instant t = base.plusSeconds(d * 300L + (i * step) % 3600 - rnd.nextInt(60));
            return switch (format) {
                case "epoch_s" -> asText ? N.textNode(String.valueOf(t.getEpochSecond())) : N.numberNode(t.getEpochSecond());
                case "epoch_ms" -> N.numberNode(t.toEpochMilli());
                case "sql" -> N.textNode(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC).format(t));
                case "pattern" -> N.textNode(DateTimeFormatter.ofPattern(pattern, Locale.ROOT).withZone(ZoneOffset.UTC).format(t));
                default -> N.textNode(offset ? DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atOffset(ZoneOffset.ofHours(2)))
                        : DateTimeFormatter.ISO_INSTANT.format(t));
            };
        };
        String f = format.equals("sql") ? "iso8601" : format;
        return new Col(path, "timestamp", g, "timestamp", false, f, format.equals("pattern") ? pattern : null, null);
    }

    private Col latCol(List<Object> path, boolean text) {
        return new Col(path, "lat", place(true, text), text ? "text" : "number", true, null, null, null);
    }

    private Col lonCol(List<Object> path, boolean text) {
        return new Col(path, "lon", place(false, text), text ? "text" : "number", true, null, null, null);
    }

    /** Coordinates around the feed's place, moving a little between documents when {@code moving} (vehicles). */
    private Gen place(boolean lat, boolean text) {
        double[] p = PLACES[placeIndex];
        int digits = 3 + rnd.nextInt(4);
        return (i, d) -> {
            double local = ((i * 7919 + (lat ? 13 : 71)) % 1000 - 500) / 4000.0;
            double world = ((i * 7919 + (lat ? 13 : 71)) % 1000 - 500) / 500.0 * (lat ? 65 : 179);
            double v = global ? world : p[lat ? 0 : 1] + local + d * 0.0003 * (moving ? 1 : 0);
            String s = String.format(Locale.ROOT, "%." + digits + "f", v);
            return text ? N.textNode(s) : N.numberNode(Double.parseDouble(s));
        };
    }

    private Col count(List<Object> path, boolean attribute) {
        int max = 5 + rnd.nextInt(60);
        return new Col(path, "field", (i, d) -> N.numberNode(attribute ? (i * 7 % max) : (i * 7 + d * 3 + rnd.nextInt(3)) % max),
                "integer", attribute, null, null, null);
    }

    private Col flag(List<Object> path, boolean attribute) {
        boolean numeric = rnd.nextBoolean();
        return new Col(path, "field", (i, d) -> {
            boolean b = (i * 13 + (attribute ? 0 : d)) % 5 != 0;
            return numeric ? N.numberNode(b ? 1 : 0) : N.booleanNode(b);
        }, "boolean", attribute, null, null, null);
    }

    private Gen real(double lo, double hi, int digits) {
        return (i, d) -> N.numberNode(Double.parseDouble(String.format(Locale.ROOT, "%." + digits + "f",
                lo + (hi - lo) * ((i * 37 + d * 11 + rnd.nextInt(5)) % 100) / 100.0)));
    }

    /** An ordinary field, often one that looks like another role. */
    private Col distractor(List<Object> path) {
        int kind = rnd.nextInt(14);
        boolean attr = rnd.nextInt(3) == 0;
        int d0 = attr ? 0 : 1;
        switch (kind) {
            case 0:
                return new Col(path, "field", real(-20, 40, 1), "number", false, null, null, null);
            case 1:
                return new Col(path, "field", real(0, 360, rnd.nextInt(3)), "number", false, null, null, null);
            case 2:
                return new Col(path, "field", (i, d) -> N.numberNode(900 + (i * 17 + d * d0) % 140), "integer", attr, null, null, null);
            case 3:
                return new Col(path, "field", (i, d) -> N.textNode(CATEGORIES[(i + d * d0) % 3 + (path == null ? 0 : path.hashCode() & 3)]),
                        "text", attr, null, null, null);
            case 4: {
                String unit = pick("°C", "ms", "km/h", "%", "hPa", "min");
                boolean space = rnd.nextBoolean();
                return new Col(path, "field", (i, d) -> N.textNode(String.format(Locale.ROOT, "%.1f", (i * 3.7 + d * d0) % 50)
                        + (space ? " " : "") + unit), "number", attr, null, null, unit);
            }
            case 5:
                return new Col(path, "field", (i, d) -> N.numberNode(1 + i % 4), "integer", true, null, null, null);
            case 6:
                return new Col(path, "field", (i, d) -> N.textNode("Sensor " + pick2(i, "north", "south", "east") + " of the "
                        + STREETS[i % STREETS.length] + " area, installed " + (2010 + i % 12)), "text", true, null, null, null);
            case 7: {
                Col t = time(path, pick("iso8601", "epoch_s"));
                return new Col(path, "field", t.gen, "timestamp", false, t.format, t.pattern, null);
            }
            case 8:
                return flag(path, attr);
            case 9:
                return count(path, attr);
            case 10:
                return new Col(path, "field", real(0, 100, 2), "number", false, null, null, null);
            case 11:
                return new Col(path, "field", (i, d) -> N.textNode(String.format(Locale.ROOT, "%.2f", (i * 1.3 + d) % 30)), "number",
                        false, null, null, null);
            case 12:
                return new Col(path, "field", (i, d) -> N.textNode(pick2(i, "yes", "no", "no")), "boolean", attr, null, null, null);
            default:
                return new Col(path, "field", real(-5, 5, 3), "number", false, null, null, null);
        }
    }

    // ---- names ------------------------------------------------------------------------------

    private static final String[][] KEY = {{"id", "station_id", "stationId", "uid", "code"}, {"ident", "device_id", "serial",
        "ref", "sensorId"}, {"k", "sid", "node", "tag", "hex"}, {"kennung", "codigo", "identifiant", "nr", "number"}};
    private static final String[][] NAMEV = {{"name", "title", "label", "station_name", "displayName"}, {"description_short",
        "caption", "shortName", "stationsname", "satname", "stop_name", "callsign", "flight", "vehicle_label"}, {"nm", "lbl", "txt", "s", "w"}, {"bezeichnung", "nombre", "nom", "naam", "nome"}};
    private static final String[][] TIMEV = {{"timestamp", "time", "updated_at", "last_updated", "observedAt"}, {"ts", "dt",
        "reported", "datetime", "lastUpdate"}, {"t", "when", "at", "u", "z"}, {"zeit", "fecha", "horodatage", "tijd", "data_ora"}};
    private static final String[][] LATV = {{"lat", "latitude", "Lat", "LAT", "y"}, {"latitude_deg", "geo_lat", "lat_wgs84",
        "gpslatitude", "position_lat"}, {"la", "p1", "a", "north", "n"}, {"breite", "latitud", "breedte", "latitudine", "szerokosc"}};
    private static final String[][] LONV = {{"lon", "longitude", "lng", "LON", "x"}, {"longitude_deg", "geo_lon", "lon_wgs84",
        "gpslongitude", "position_lon"}, {"lo", "p2", "b", "east", "e"}, {"laenge", "longitud", "lengte", "longitudine", "dlugosc"}};
    private static final String[] PARENTS = {"position", "location", "coords", "geo", "loc", "point", "pos", "center", "where",
        "standort", "ubicacion", "p"};
    private static final String[] WORDS = {"temperature", "humidity", "pressure", "speed", "heading", "status", "level",
        "occupancy", "capacity", "free", "delay", "battery", "signal", "altitude", "depth", "flow", "count", "operator",
        "category", "type", "zone", "line", "direction", "wind", "rain", "pm25", "no2", "ozone", "power", "voltage", "charge"};

    private String named(int style, int vocab, String role) {
        String[][] v = switch (role) {
            case "key" -> KEY;
            case "name" -> NAMEV;
            case "time" -> TIMEV;
            case "lat" -> LATV;
            case "lon" -> LONV;
            default -> null;
        };
        if (v == null) {
            return styled(style, PARENTS[rnd.nextInt(PARENTS.length)]);
        }
        String[] set = v[vocab];
        return styled(style, set[role.equals("lat") || role.equals("lon") ? latLonIndex : rnd.nextInt(set.length)]);
    }

    private String word() {
        return WORDS[rnd.nextInt(WORDS.length)] + (rnd.nextInt(3) == 0 ? "_" + pick("avg", "max", "raw", "now", "c", "pct") : "");
    }

    private String cryptic() {
        return pick("f", "v", "q", "c", "m", "r") + rnd.nextInt(20);
    }

    private String styled(int style, String name) {
        String snake = name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
        return switch (style) {
            case 0 -> snake;
            case 1 -> camel(snake);
            case 2 -> snake.toUpperCase(Locale.ROOT);
            case 3 -> snake.replace('_', '-');
            default -> name;
        };
    }

    private static String camel(String snake) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }

    // ---- assembly ---------------------------------------------------------------------------

    private int placeIndex;
    private int latLonIndex;
    private boolean moving;
    private boolean global;

    /** Builds the documents from the columns. */
    private interface Container {
        JsonNode wrap(ArrayNode items, int doc);
    }

    private FeedCase build(String family, List<Col> cols, int n, Container container, String iterate, String kind) {
        int docs = rnd.nextInt(3) == 0 ? 1 : 2;
        List<JsonNode> documents = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            ArrayNode items = N.arrayNode();
            for (int i = 0; i < n; i++) {
                boolean rows = cols.get(0).path.size() == 1 && cols.get(0).path.get(0) instanceof Integer;
                JsonNode item = rows ? N.arrayNode() : N.objectNode();
                for (Col c : cols) {
                    JsonNode v = c.gen.at(i, d);
                    if (!c.role.equals("key") && rnd.nextInt(60) == 0) {
                        v = N.nullNode();
                    }
                    put(item, c.path, v);
                }
                items.add(item);
            }
            documents.add(container.wrap(items, d));
        }
        ObjectNode rule = N.objectNode();
        rule.put("iterate", iterate);
        rule.put("kind", kind);
        ObjectNode fields = N.objectNode();
        for (Col c : cols) {
            String p = path(c.path);
            switch (c.role) {
                case "key" -> rule.put("key", p);
                case "name" -> rule.put("name", p);
                case "lat" -> rule.put("lat", p);
                case "lon" -> rule.put("lon", p);
                case "timestamp" -> {
                    ObjectNode t = rule.putObject("timestamp").put("path", p).put("format", c.format);
                    if (c.pattern != null) {
                        t.put("pattern", c.pattern);
                    }
                }
                default -> {
                    ObjectNode f = fields.putObject("f" + fields.size());
                    f.put("path", p).put("type", c.type);
                    if (c.attribute) {
                        f.put("as", "attribute");
                    }
                }
            }
        }
        rule.set("fields", fields);
        return new FeedCase(family, documents, rule);
    }

    private static void put(JsonNode item, List<Object> path, JsonNode v) {
        JsonNode at = item;
        for (int k = 0; k < path.size(); k++) {
            Object step = path.get(k);
            boolean last = k == path.size() - 1;
            Object next = last ? null : path.get(k + 1);
            if (step instanceof Integer idx) {
                ArrayNode a = (ArrayNode) at;
                while (a.size() <= idx) {
                    a.addNull();
                }
                if (last) {
                    a.set(idx, v);
                } else {
                    if (a.get(idx).isNull()) {
                        a.set(idx, next instanceof Integer ? N.arrayNode() : N.objectNode());
                    }
                    at = a.get(idx);
                }
            } else {
                ObjectNode o = (ObjectNode) at;
                if (last) {
                    o.set((String) step, v);
                } else {
                    if (!o.has((String) step)) {
                        o.set((String) step, next instanceof Integer ? N.arrayNode() : N.objectNode());
                    }
                    at = o.get((String) step);
                }
            }
        }
    }

    private static String path(List<Object> steps) {
        Path p = Path.ROOT;
        for (Object s : steps) {
            p = s instanceof Integer i ? p.index(i) : p.member((String) s);
        }
        return p.toString();
    }

    /** Shuffles the columns, keeping a lat/lon pair adjacent and in its order (feeds write them together). */
    private void shuffleKeepingPairs(List<Col> cols) {
        List<List<Col>> units = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            Col c = cols.get(i);
            if ((c.role.equals("lat") || c.role.equals("lon")) && i + 1 < cols.size()
                    && (cols.get(i + 1).role.equals("lat") || cols.get(i + 1).role.equals("lon"))) {
                units.add(List.of(c, cols.get(i + 1)));
                i++;
            } else {
                units.add(List.of(c));
            }
        }
        // keys come first more often than not, but not always
        List<Col> head = rnd.nextInt(3) > 0 ? units.remove(0) : List.of();
        java.util.Collections.shuffle(units, rnd);
        cols.clear();
        cols.addAll(head);
        units.forEach(cols::addAll);
    }

    private void reset() {
        placeIndex = rnd.nextInt(PLACES.length);
        latLonIndex = rnd.nextInt(5);
        moving = rnd.nextInt(3) == 0;
        global = rnd.nextInt(4) == 0;
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[rnd.nextInt(options.length)];
    }

    private static String pick2(int i, String... options) {
        return options[i % options.length];
    }
}
