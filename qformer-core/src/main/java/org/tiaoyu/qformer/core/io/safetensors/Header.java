package org.tiaoyu.qformer.core.io.safetensors;

import static org.tiaoyu.qformer.core.io.safetensors.SafetensorsException.abbreviate;
import static org.tiaoyu.qformer.core.io.safetensors.SafetensorsException.quote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file, parsed and checked against the rules of the reference reader
 * (huggingface/safetensors, {@code Metadata::validate}): every entry well formed, and the tensors tiling the
 * data section exactly, from byte 0 to its end, with no gap, overlap or trailing byte.
 *
 * @param metadata the {@code __metadata__} strings, in file order; empty if absent
 * @param tensors the tensors in data-offset order
 */
record Header(Map<String, String> metadata, List<TensorInfo> tensors) {

    /** The reference reader's limit ({@code MAX_HEADER_SIZE}); it also bounds what a corrupt length can allocate. */
    static final long MAX_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    /** Rejects duplicate keys (the reference reader does) and anything after the root value but whitespace. */
    static final ObjectMapper STRICT_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /**
     * @param file the file, for messages
     * @param bytes the header, without its 8-byte length; trailing spaces (the reference writer's padding) are fine
     * @param dataSize the size of the data section that follows the header
     */
    static Header parse(Path file, byte[] bytes, long dataSize) {
        JsonNode root = readJson(file, decodeUtf8(file, bytes, "header"), "header");
        if (!root.isObject()) {
            throw new SafetensorsException(file, "header must be a JSON object, not " + kind(root));
        }
        Map<String, String> metadata = Map.of();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            if (entry.getKey().equals(METADATA_KEY)) {
                metadata = metadata(file, entry.getValue());
            } else {
                tensors.add(tensor(file, entry.getKey(), entry.getValue()));
            }
        }
        // A stable sort: empty tensors sharing an offset keep their file order.
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        checkLayout(file, tensors, dataSize);
        return new Header(metadata, List.copyOf(tensors));
    }

    /** Parses JSON text strictly; {@code what} names it in messages ("header", "index"). */
    static JsonNode readJson(Path file, String text, String what) {
        try {
            return STRICT_JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new SafetensorsException(file,
                    what + " is not valid JSON: " + abbreviate(e.getOriginalMessage()) + where, e);
        }
    }

    /** @return "an array", "a string", ... for messages */
    static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case MISSING -> "empty";
            default -> "a " + node.getNodeType().name().toLowerCase();
        };
    }

    /** Decodes strictly: malformed UTF-8 is an error, not a replacement character. */
    static String decodeUtf8(Path file, byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, what + " is not valid UTF-8", e);
        }
    }

    private static Map<String, String> metadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new SafetensorsException(file, METADATA_KEY + " must be an object of strings, not " + kind(node));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsException(file, METADATA_KEY + " must be an object of strings, but "
                        + quote(entry.getKey()) + " is " + kind(entry.getValue()));
            }
            metadata.put(entry.getKey(), entry.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo tensor(Path file, String name, JsonNode node) {
        String where = "tensor " + quote(name) + ": ";
        if (!node.isObject()) {
            throw new SafetensorsException(file, where + "entry must be an object, not " + kind(node));
        }
        JsonNode dtypeNode = required(file, where, node, "dtype");
        DType dtype = dtypeNode.isTextual() ? DType.parse(dtypeNode.textValue()) : null;
        if (dtype == null) {
            throw new SafetensorsException(file, where + "unknown dtype " + abbreviate(dtypeNode.toString())
                    + " (supported: " + Arrays.toString(DType.values()) + ")");
        }

        JsonNode shapeNode = required(file, where, node, "shape");
        long[] shape = nonNegativeLongs(shapeNode);
        if (shape == null) {
            throw new SafetensorsException(file, where + "shape must be an array of non-negative integers, not "
                    + abbreviate(shapeNode.toString()));
        }
        long byteSize = byteSize(shape, dtype);
        if (byteSize < 0) {
            throw new SafetensorsException(file, where + "shape " + Arrays.toString(shape) + " of " + dtype
                    + " is too large: its size in bytes overflows a long");
        }

        JsonNode offsetsNode = required(file, where, node, "data_offsets");
        long[] offsets = nonNegativeLongs(offsetsNode);
        if (offsets == null || offsets.length != 2) {
            throw new SafetensorsException(file, where + "data_offsets must be two non-negative integers "
                    + "[begin, end], not " + abbreviate(offsetsNode.toString()));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new SafetensorsException(file,
                    where + "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end - begin != byteSize) {
            throw new SafetensorsException(file, where + "data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin) + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + byteSize);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static JsonNode required(Path file, String where, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null) {
            throw new SafetensorsException(file, where + "missing \"" + field + "\"");
        }
        return value;
    }

    /** @return the array's elements, or null unless it is an array of integers in [0, Long.MAX_VALUE] */
    private static long[] nonNegativeLongs(JsonNode array) {
        if (!array.isArray()) {
            return null;
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode element = array.get(i);
            if (!element.isIntegralNumber() || !element.canConvertToLong() || element.longValue() < 0) {
                return null;
            }
            values[i] = element.longValue();
        }
        return values;
    }

    /**
     * @return numel * element size, or -1 on overflow. Zero dimensions are skipped while multiplying, so an
     *     empty tensor's other dimensions must still fit: ND4J computes strides from them.
     */
    private static long byteSize(long[] shape, DType dtype) {
        long bytes = dtype.byteSize();
        boolean empty = false;
        for (long d : shape) {
            if (d == 0) {
                empty = true;
            } else if (bytes > Long.MAX_VALUE / d) {
                return -1;
            } else {
                bytes *= d;
            }
        }
        return empty ? 0 : bytes;
    }

    /** The tensors, in offset order, must cover [0, dataSize) exactly. */
    private static void checkLayout(Path file, List<TensorInfo> tensors, long dataSize) {
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : tensors) {
            if (t.begin() < expected) {
                throw new SafetensorsException(file, "tensor " + quote(t.name()) + " at bytes " + range(t)
                        + " overlaps tensor " + quote(previous.name()) + " at bytes " + range(previous));
            }
            if (t.begin() > expected) {
                throw new SafetensorsException(file, previous == null
                        ? "the first tensor, " + quote(t.name()) + ", starts at byte " + t.begin() + ", not 0"
                        : "gap of " + (t.begin() - expected) + " bytes between tensor " + quote(previous.name())
                                + " at bytes " + range(previous) + " and tensor " + quote(t.name()) + " at bytes "
                                + range(t));
            }
            if (t.end() > dataSize) {
                throw new SafetensorsException(file, "tensor " + quote(t.name()) + " at bytes " + range(t)
                        + " runs past the end of the file (the data section has " + dataSize + " bytes)");
            }
            expected = t.end();
            previous = t;
        }
        if (expected < dataSize) {
            throw new SafetensorsException(file, (dataSize - expected) + " trailing bytes after the last tensor");
        }
    }

    private static String range(TensorInfo t) {
        return "[" + t.begin() + ", " + t.end() + ")";
    }
}
