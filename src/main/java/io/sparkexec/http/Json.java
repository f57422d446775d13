package io.sparkexec.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ValueNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.typesafe.config.Config;
import io.sparkexec.AppConfig;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharset;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON at the HTTP edge. {@link #MAPPER} writes our answers (decimals in as BigDecimal, never
 * double, and out as plain strings "0.001"; times as ISO-8601) and re-reads JSON we stored
 * ourselves. Client bytes go through the one strict reader instead ({@link #body}, {@link #parse}):
 * UTF-8 only, no duplicate keys, no trailing tokens, numbers, strings and nesting bounded by
 * {@link Limits}; every refusal is a {@link Refusal} naming the field where the reader stopped.
 */
public final class Json {

  private static final Logger log = LoggerFactory.getLogger(Json.class);

  private Json() {}

  public static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .addModule(new Jdk8Module())
      .addModule(new SimpleModule().addSerializer(BigDecimal.class, new PlainDecimal()))
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .build();

  /** application/json as a media type whose charset parameter the request parser keeps (see {@link #keepCharsetLabel}). */
  private static final MediaType.WithOpenCharset JSON_LABELLED = MediaTypes.applicationWithOpenCharset("json");

  /** The bounds on client JSON (spark.json, conf/json.conf). */
  public record Limits(int maxNumberLength, int maxExponent, int maxNestingDepth, int maxStringLength) {
    public static Limits fromConfig(Config json) {
      return new Limits(json.getInt("max-number-length"), json.getInt("max-exponent"), json.getInt("max-nesting-depth"),
          json.getInt("max-string-length"));
    }
  }

  /** Why a body was not read: a 400 or 415 naming the field ({@code Content-Type}, {@code body} or the JSON field) and the rule. */
  public record Refusal(int status, String code, String message, String field, Map<String, Object> details) {
    public HttpResponse response() {
      return ApiErrors.response(status, code, message, field, details);
    }
  }

  /** A JSON value ({@link MissingNode} for an empty body), or why there is none. */
  public record Parsed(JsonNode node, Refusal refusal) {}

  /** The reader with the configured limits; one per process, as the parser constraints are the mapper's. */
  public static Reader strict() {
    return Strict.READER;
  }

  private static final class Strict {
    static final Reader READER = new Reader(Limits.fromConfig(AppConfig.load().getConfig("spark.json")));
  }

  public static Parsed parse(byte[] bytes) {
    return strict().read(bytes);
  }

  public static Parsed parse(String text) {
    return strict().read(text);
  }

  /**
   * pekko-http files {@code application/json} as fixed UTF-8 and drops any charset label, so a
   * body labelled ISO-8859-1 or UTF-16 would be read as UTF-8; registered with an open charset,
   * the label reaches {@link #body}, which refuses any but UTF-8.
   */
  public static ServerSettings keepCharsetLabel(ServerSettings server) {
    return server.withParserSettings(server.getParserSettings().withCustomMediaTypes(JSON_LABELLED));
  }

  /** {@link #body(long, Function, Function)} answering a refusal with its own 4xx, logged as one line. */
  public static Route body(long maxBytes, Function<JsonNode, Route> inner) {
    return body(maxBytes, Json::logged, inner);
  }

  private static HttpResponse logged(Refusal r) {
    log.info("event=body_refused status={} code={} field={}", r.status(), r.code(), r.field());
    return r.response();
  }

  /**
   * A request body read strictly: Content-Type application/json (any charset label but UTF-8
   * answers 415), at most {@code maxBytes} (413), then {@link Reader#read}; an empty body reads as
   * a missing node. {@code refused} turns a refusal into the answer (a room may count or log it).
   */
  public static Route body(long maxBytes, Function<Refusal, HttpResponse> refused, Function<JsonNode, Route> inner) {
    return Directives.extractRequestEntity(entity -> {
      Refusal label = contentType(entity);
      if (label != null) return Directives.complete(refused.apply(label));
      if (entity.getContentLengthOption().orElse(0L) > maxBytes) return Directives.complete(ApiErrors.tooLarge(maxBytes));
      return Directives.withSizeLimit(maxBytes, () -> Directives.entity(Unmarshaller.entityToByteString(), bytes -> {
        Parsed parsed = strict().read(bytes.toArray());
        return parsed.refusal() != null ? Directives.complete(refused.apply(parsed.refusal())) : inner.apply(parsed.node());
      }));
    });
  }

  /** Null when the entity is empty or application/json in UTF-8 (labelled so or not). */
  private static Refusal contentType(RequestEntity entity) {
    if (entity.isKnownEmpty()) return null;
    ContentType type = entity.getContentType();
    MediaType media = type.mediaType();
    if (!media.isApplication() || !media.toString().equalsIgnoreCase("application/json")) {
      return new Refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json", "Content-Type", null);
    }
    Optional<HttpCharset> charset = type.getCharsetOption();
    if (charset.isPresent() && !charset.get().equals(HttpCharsets.UTF_8)) {
      return new Refusal(415, "UNSUPPORTED_CHARSET", "JSON bodies must be UTF-8; Content-Type names charset " + charset.get().value(),
          "Content-Type", Map.of("charset", charset.get().value()));
    }
    return null;
  }

  /** A strict JSON reader over given limits (tests make their own; the server uses {@link #strict()}). */
  public static final class Reader {

    private final Limits limits;
    private final ObjectMapper mapper;

    public Reader(Limits limits) {
      this.limits = limits;
      JsonFactory factory = JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNumberLength(limits.maxNumberLength())
              .maxNestingDepth(limits.maxNestingDepth())
              .maxStringLength(limits.maxStringLength())
              .maxNameLength(limits.maxStringLength())
              .build())
          .build();
      this.mapper = JsonMapper.builder(factory)
          .nodeFactory(new BoundedNumbers(limits.maxExponent()))
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();
    }

    /** UTF-8 bytes without a byte-order mark; UTF-16/32 (a NUL in the first four bytes: never in UTF-8 JSON) is refused, not sniffed. */
    public Parsed read(byte[] bytes) {
      String found = foreignEncoding(bytes);
      if (found != null) {
        return refused(415, "UNSUPPORTED_CHARSET", "JSON bodies must be UTF-8 without a byte-order mark; this one starts as " + found,
            "body", Map.of("found", found));
      }
      try {
        return tree(mapper.createParser(bytes));
      } catch (IOException e) {
        throw new IllegalStateException("cannot open a parser over bytes", e);
      }
    }

    /** Text already decoded (a WebSocket text frame is UTF-8 by RFC 6455); a leading U+FEFF is a byte-order mark, refused. */
    public Parsed read(String text) {
      if (text.startsWith("\uFEFF")) {
        return refused(415, "UNSUPPORTED_CHARSET", "JSON text must not start with a byte-order mark", "body", Map.of("found", "byte-order mark"));
      }
      try {
        return tree(mapper.createParser(text));
      } catch (IOException e) {
        throw new IllegalStateException("cannot open a parser over text", e);
      }
    }

    private Parsed tree(JsonParser parser) {
      try (parser) {
        JsonNode node = mapper.readTree(parser);
        return new Parsed(node == null ? MissingNode.getInstance() : node, null);
      } catch (StreamConstraintsException e) {
        return constraint(e, field(parser));
      } catch (JsonProcessingException e) {
        if (e.getCause() instanceof NumberFormatException) return outOfRange(field(parser));
        String message = e.getOriginalMessage();
        if (message.startsWith("Duplicate field")) {
          String field = field(parser);
          return refused(400, "DUPLICATE_KEY", field + " appears more than once; each key must appear once", field, null);
        }
        if (message.startsWith("Invalid UTF-8")) return refused(400, "INVALID_UTF8", "the body is not valid UTF-8", "body", null);
        return refused(400, "MALFORMED_JSON", "the body is not valid JSON: " + brief(message), field(parser), null);
      } catch (NumberFormatException | BoundedNumbers.OutOfRange e) {
        // BigDecimal refuses an exponent past an int (1e2147483648); ours stops far below
        return outOfRange(field(parser));
      } catch (IOException e) {
        return refused(400, "MALFORMED_JSON", "the body is not valid JSON", "body", null);
      }
    }

    private Parsed constraint(StreamConstraintsException e, String field) {
      String message = e.getOriginalMessage();
      if (message.startsWith("Number value length")) {
        return refused(400, "NUMBER_TOO_LONG", field + " is a number of more than " + limits.maxNumberLength()
            + " characters; send long values as strings", field, Map.of("maxNumberLength", limits.maxNumberLength()));
      }
      if (message.startsWith("Document nesting depth")) {
        return refused(400, "NESTING_TOO_DEEP", "arrays and objects nest more than " + limits.maxNestingDepth() + " deep at " + field,
            field, Map.of("maxNestingDepth", limits.maxNestingDepth()));
      }
      return refused(400, "STRING_TOO_LONG", "a string or field name at " + field + " is longer than " + limits.maxStringLength()
          + " characters", field, Map.of("maxStringLength", limits.maxStringLength()));
    }

    private Parsed outOfRange(String field) {
      return refused(400, "NUMBER_OUT_OF_RANGE", field + " has a decimal exponent beyond +-" + limits.maxExponent(), field,
          Map.of("maxExponent", limits.maxExponent()));
    }

    private static Parsed refused(int status, String code, String message, String field, Map<String, Object> details) {
      return new Parsed(null, new Refusal(status, code, message, field, details));
    }
  }

  /** Where the parser stopped, named as our 400s name fields ("quantity", "jobs[1].data.px"); "body" at the top. */
  static String field(JsonParser parser) {
    Deque<String> parts = new ArrayDeque<>();
    for (JsonStreamContext c = parser.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inObject() && c.getCurrentName() != null) parts.addFirst("." + c.getCurrentName());
      else if (c.inArray() && c.getCurrentIndex() >= 0) parts.addFirst("[" + c.getCurrentIndex() + "]");
    }
    if (parts.isEmpty()) return "body";
    String path = String.join("", parts);
    path = path.startsWith(".") ? path.substring(1) : path;
    // a nesting bomb would name a path as deep as the limit: the start of it locates it well enough
    return path.length() <= 200 ? path : path.substring(0, 200) + "...";
  }

  /** Jackson's message without its location suffix, short: it may quote the client's token. */
  private static String brief(String message) {
    String first = message.lines().findFirst().orElse("");
    return first.length() <= 160 ? first : first.substring(0, 160) + "...";
  }

  /**
   * Decimals whose exponent is within the limit: checked as the tree is built, before any code
   * does arithmetic on 1e999999999 (whose plain form has a billion digits).
   */
  private static final class BoundedNumbers extends JsonNodeFactory {
    private final int maxExponent;

    BoundedNumbers(int maxExponent) {
      super(false); // as MAPPER's default factory: 0.0010 reads as 0.001
      this.maxExponent = maxExponent;
    }

    @Override
    public ValueNode numberNode(BigDecimal v) {
      // precision - scale - 1 is the exponent of the leading digit: 1.5e3 -> 3, 0.001 -> -3
      long exponent = (long) v.precision() - v.scale() - 1;
      if (v.signum() != 0 && Math.abs(exponent) > maxExponent) throw new OutOfRange();
      return super.numberNode(v);
    }

    /** Expected: no stack trace. */
    static final class OutOfRange extends RuntimeException {
      OutOfRange() {
        super("decimal exponent out of range", null, false, false);
      }
    }
  }

  /** UTF-16/32 or a byte-order mark at the start of {@code bytes}, named; null for UTF-8 without one. */
  private static String foreignEncoding(byte[] b) {
    if (b.length >= 3 && (b[0] & 0xFF) == 0xEF && (b[1] & 0xFF) == 0xBB && (b[2] & 0xFF) == 0xBF) return "a UTF-8 byte-order mark";
    if (b.length >= 2 && ((b[0] & 0xFF) == 0xFE && (b[1] & 0xFF) == 0xFF || (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xFE)) {
      return "a UTF-16 byte-order mark";
    }
    for (int i = 0; i < Math.min(4, b.length); i++) if (b[i] == 0) return "UTF-16 or UTF-32 (a NUL byte)";
    return null;
  }

  public static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  public static HttpResponse response(StatusCode status, Object body) {
    return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, bytes(body)));
  }

  public static HttpResponse ok(Object body) {
    return response(StatusCodes.OK, body);
  }

  private static final class PlainDecimal extends StdSerializer<BigDecimal> {
    PlainDecimal() {
      super(BigDecimal.class);
    }

    @Override
    public void serialize(BigDecimal value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeString(value.toPlainString());
    }
  }
}
