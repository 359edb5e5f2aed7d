// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.response;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.gateway.internal.schema.ApiSchemas;
import io.tmidb.gateway.internal.schema.Column;
import io.tmidb.gateway.internal.schema.Grants;
import io.tmidb.gateway.internal.schema.Relation;
import io.tmidb.gateway.internal.schema.Routine;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The OpenAPI 3 document served at {@code /}, titled "tmiDB API": one path per resource and
 * function the caller's role may use, whose {@code Accept-Profile}/{@code Content-Profile} parameter lists the API versions
 * that have it, one schema per versioned resource ({@code api_v1.bike}, {@code api_v2.bike}, ...), and
 * the webhook {@code /ingest/{source}}.
 */
public final class OpenApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenApi() {
    }

    /**
     * The document for a role: only the relations it holds a privilege on, with the operations
     * those privileges allow, and the functions it may execute.
     */
    public static String document(ApiSchemas api, Grants grants) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("openapi", "3.0.3");
        ObjectNode info = doc.putObject("info");
        info.put("title", "tmiDB API");
        info.put("version", api.newest().orElse("none"));
        info.put("description", "Targets, observations and functions of tmiDB in PostgREST's URL dialect. "
                + "Choose the API version with Accept-Profile (reads) or Content-Profile (writes); default: the newest version that has the resource or function.");
        ObjectNode paths = doc.putObject("paths");
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        Map<String, List<String>> resources = new TreeMap<>();
        Map<String, List<String>> functions = new TreeMap<>();
        for (String version : api.versions()) {
            for (Relation r : new TreeMap<>(api.relations().getOrDefault(version, Map.of())).values()) {
                if (!grants.on(version, r.name()).isEmpty()) {
                    resources.computeIfAbsent(r.name(), k -> new java.util.ArrayList<>()).add(version);
                    schemas.set(version + "." + r.name(), objectSchema(r.columnList()));
                }
            }
            api.routines().getOrDefault(version, Map.of()).keySet().stream().filter(f -> grants.mayExecute(version, f))
                    .forEach(f -> functions.computeIfAbsent(f, k -> new java.util.ArrayList<>()).add(version));
        }
        resources.forEach((name, versions) -> {
            ObjectNode path = paths.putObject("/" + name);
            String newest = versions.get(versions.size() - 1);
            String ref = "#/components/schemas/" + newest + "." + name;
            Set<String> held = grants.on(newest, name);
            String served = api.newest(v -> api.relation(v, name).isPresent()).orElse(newest);
            if (held.contains("SELECT")) {
                operation(path, "get", name, "Rows of " + name, versions, served, "Accept-Profile", ref);
            }
            if (held.contains("INSERT")) {
                operation(path, "post", name, "Insert rows into " + name, versions, served, "Content-Profile", ref);
            }
            if (held.contains("UPDATE")) {
                operation(path, "patch", name, "Update rows of " + name, versions, served, "Content-Profile", ref);
            }
            if (held.contains("DELETE")) {
                operation(path, "delete", name, "Delete rows of " + name, versions, served, "Content-Profile", ref);
            }
        });
        functions.forEach((name, versions) -> {
            ObjectNode path = paths.putObject("/rpc/" + name);
            Routine r = api.routines(versions.get(versions.size() - 1), name).get(0);
            String served = api.newest(v -> !api.routines(v, name).isEmpty()).orElseThrow();
            ObjectNode get = operation(path, "get", "(rpc) " + name, "Calls " + name, versions, served, "Accept-Profile", null);
            ArrayNode params = (ArrayNode) get.get("parameters");
            for (int i = 0; i < r.argNames().size(); i++) {
                ObjectNode p = params.addObject();
                p.put("name", r.argNames().get(i));
                p.put("in", "query");
                p.put("required", i < r.argNames().size() - r.defaults());
                p.set("schema", typeSchema(r.argTypes().get(i)));
            }
            operation(path, "post", "(rpc) " + name, "Calls " + name, versions, served, "Content-Profile", null)
                    .putObject("requestBody").putObject("content").putObject("application/json")
                    .set("schema", objectSchema(columnsOf(r)));
        });
        if (grants.mayExecute("tmi", "ingest")) {
            webhook(paths);
        }
        return doc.toPrettyString();
    }

    /**
     * {@code POST /ingest/<source>}: not in any API version (it calls {@code tmi.ingest}), so no
     * profile header; the body is any JSON value, stored as sent.
     */
    private static void webhook(ObjectNode paths) {
        ObjectNode op = paths.putObject("/ingest/{source}").putObject("post");
        op.putArray("tags").add("(webhook) ingest");
        op.put("summary", "Stores the body, any JSON value, as a raw document from source (tmi.ingest)");
        ObjectNode source = op.putArray("parameters").addObject();
        source.put("name", "source");
        source.put("in", "path");
        source.put("required", true);
        source.putObject("schema").put("type", "string");
        op.putObject("requestBody").put("required", true).putObject("content").putObject("application/json").putObject("schema");
        ObjectNode created = op.putObject("responses").putObject("201");
        created.put("description", "Stored");
        ObjectNode answer = created.putObject("content").putObject("application/json").putObject("schema");
        answer.put("type", "object");
        answer.putObject("properties").putObject("raw_id").put("type", "integer");
    }

    /**
     * One operation; its profile header lists the {@code versions} the role may use, and its
     * default is the version {@code served} without the header (the newest that has the name).
     */
    private static ObjectNode operation(ObjectNode path, String method, String tag, String summary, List<String> versions,
                                        String served, String profileHeader, String ref) {
        ObjectNode op = path.putObject(method);
        op.putArray("tags").add(tag);
        op.put("summary", summary);
        ObjectNode profile = op.putArray("parameters").addObject();
        profile.put("name", profileHeader);
        profile.put("in", "header");
        ObjectNode schema = profile.putObject("schema");
        schema.put("type", "string");
        versions.forEach(schema.putArray("enum")::add);
        schema.put("default", served);
        ObjectNode ok = op.putObject("responses").putObject(method.equals("post") && ref != null ? "201" : "200");
        ok.put("description", "OK");
        if (ref != null) {
            ObjectNode items = ok.putObject("content").putObject("application/json").putObject("schema");
            items.put("type", "array");
            items.putObject("items").put("$ref", ref);
        }
        return op;
    }

    private static List<Column> columnsOf(Routine r) {
        List<Column> out = new java.util.ArrayList<>();
        for (int i = 0; i < r.argNames().size(); i++) {
            out.add(new Column(r.argNames().get(i), r.argTypes().get(i), false));
        }
        return out;
    }

    private static ObjectNode objectSchema(List<Column> columns) {
        ObjectNode s = JSON.createObjectNode();
        s.put("type", "object");
        ObjectNode props = s.putObject("properties");
        columns.forEach(c -> {
            ObjectNode t = typeSchema(c.type());
            t.put("description", c.type());
            props.set(c.name(), t);
        });
        return s;
    }

    private static ObjectNode typeSchema(String pgType) {
        ObjectNode t = JSON.createObjectNode();
        switch (pgType) {
            case "double precision", "real", "numeric" -> t.put("type", "number");
            case "integer", "bigint", "smallint" -> t.put("type", "integer");
            case "boolean" -> t.put("type", "boolean");
            case "json", "jsonb" -> { }
            case "uuid" -> t.put("type", "string").put("format", "uuid");
            case "timestamp with time zone", "timestamp without time zone" -> t.put("type", "string").put("format", "date-time");
            default -> t.put("type", "string");
        }
        return t;
    }
}
