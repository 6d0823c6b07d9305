package org.tiaoyu.qformer.core.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Each rule of the format, broken by a hand-made file, and the message that names it. */
class SafetensorsRejectTest {

    private static final String ONE_FLOAT = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    @TempDir
    Path dir;

    @Test
    void missingFile() {
        Path missing = dir.resolve("nope.safetensors");
        assertEquals(missing + ": no such file", rejects(missing).getMessage());
    }

    @Test
    void directory() {
        rejects(dir, "is a directory");
    }

    @Test
    void notARegularFile() {
        rejects(Path.of("/dev/null"), "is not a regular file");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7})
    void shorterThanTheLengthField(int size) {
        Path file = Crafted.bytes(dir.resolve("short.safetensors"), new byte[size]);
        assertEquals(file + ": file is " + size + " bytes, too short to hold the 8-byte header length",
                rejects(file).getMessage());
    }

    @Test
    void headerLengthOverTheLimit() {
        rejects(Crafted.withLength(dir.resolve("f.safetensors"), 100_000_001L, new byte[16]),
                "header length 100000001 is over the limit of 100000000 bytes");
        rejects(Crafted.withLength(dir.resolve("f.safetensors"), -1L, new byte[16]),
                "header length 18446744073709551615 is over the limit");
    }

    @Test
    void headerLengthPastTheEnd() {
        Path file = Crafted.withLength(dir.resolve("f.safetensors"), 9999, new byte[10]);
        assertEquals(file + ": header length 9999 is past the end of the file (18 bytes)", rejects(file).getMessage());
    }

    @Test
    void headerNotUtf8() {
        byte[] header = "{\"a\":{}}".getBytes(StandardCharsets.UTF_8);
        header[2] = (byte) 0xFF;
        rejects(Crafted.file(dir.resolve("f.safetensors"), header, new byte[0]), "header is not valid UTF-8");
        byte[] overlong = {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', ':', '1', '}'}; // '/' encoded in two bytes
        rejects(Crafted.file(dir.resolve("f.safetensors"), overlong, new byte[0]), "header is not valid UTF-8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":", "{'a': 1}", "{\"a\":{}} x", "{} {}", "{\"a\":{}}\u0000", "\uFEFF{}"})
    void headerNotJson(String header) {
        rejects(Crafted.file(dir.resolve("f.safetensors"), header, new byte[0]), "header is not valid JSON: ");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|',
            value = {"[1, 2]|an array", "\"text\"|a string", "3|a number", "null|null", "'  '|empty"})
    void headerNotAnObject(String header, String kind) {
        rejects(Crafted.file(dir.resolve("f.safetensors"), header, new byte[0]),
                "header must be a JSON object, not " + kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "\"F32\"", "[0, 4]", "null"})
    void tensorEntryNotAnObject(String entry) {
        rejects(Crafted.file(dir.resolve("f.safetensors"), "{\"a\":" + entry + "}", new byte[0]),
                "tensor 'a': entry must be an object, not ");
    }

    @Test
    void duplicateKeys() {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "header is not valid JSON: Duplicate field 'a'");
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "Duplicate field 'dtype'");
        rejects(Crafted.file(dir.resolve("f.safetensors"), "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", new byte[0]),
                "Duplicate field 'k'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"F8_E4M3\"", "\"U16\"", "\"f32\"", "\"\"", "32", "null"})
    void unknownDtype(String dtype) {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":" + dtype + ",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a': unknown dtype " + dtype
                        + " (supported: [F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL])");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtype", "shape", "data_offsets"})
    void missingField(String field) {
        String entry = switch (field) {
            case "dtype" -> "{\"shape\":[1],\"data_offsets\":[0,4]}";
            case "shape" -> "{\"dtype\":\"F32\",\"data_offsets\":[0,4]}";
            default -> "{\"dtype\":\"F32\",\"shape\":[1]}";
        };
        rejects(Crafted.file(dir.resolve("f.safetensors"), "{\"a\":" + entry + "}", new byte[4]),
                "tensor 'a': missing \"" + field + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[-1]", "[1.5]", "[\"1\"]", "1", "null", "[18446744073709551616]", "[1e2]", "[[1]]"})
    void badShape(String shape) {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a': shape must be an array of non-negative integers, not ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[4611686018427387904, 4]", "[4294967296, 4294967296]", "[9223372036854775807, 2]",
            "[4294967296, 4294967296, 0]"})
    void overflowingShape(String shape) {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[0,4]}}", new byte[4]),
                "is too large: its size in bytes overflows a long");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[0]", "[0, 4, 8]", "[-1, 3]", "[\"0\", 4]", "[0, 4.0]", "{}", "null",
            "[0, 9223372036854775808]"})
    void badDataOffsets(String offsets) {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}}", new byte[4]),
                "tensor 'a': data_offsets must be two non-negative integers [begin, end], not ");
    }

    @Test
    void dataOffsetsEndBeforeTheyBegin() {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", new byte[4]),
                "tensor 'a': data_offsets [4, 0] end before they begin");
    }

    @Test
    void dataOffsetsDisagreeWithTheShape() {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[12]),
                "tensor 'a': data_offsets [0, 12] hold 12 bytes, but shape [2, 2] of F32 needs 16");
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4]),
                "hold 4 bytes, but shape [] of BF16 needs 2");
    }

    @Test
    void overlappingTensors() {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "tensor 'b' at bytes [4, 12) overlaps tensor 'a' at bytes [0, 8)");
        rejects(Crafted.file(dir.resolve("f.safetensors"), // the same bytes twice
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "overlaps");
        rejects(Crafted.file(dir.resolve("f.safetensors"), // an empty tensor inside another
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", new byte[8]),
                "tensor 'b' at bytes [4, 4) overlaps tensor 'a' at bytes [0, 8)");
    }

    @Test
    void gapBetweenTensors() {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]),
                "gap of 4 bytes between tensor 'a' at bytes [0, 4) and tensor 'b' at bytes [8, 12)");
    }

    @Test
    void firstTensorNotAtZero() {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "the first tensor, 'a', starts at byte 4, not 0");
    }

    @Test
    void tensorPastTheEnd() {
        rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[5]),
                "tensor 'a' at bytes [0, 8) runs past the end of the file (the data section has 5 bytes)");
    }

    @Test
    void trailingBytes() {
        rejects(Crafted.file(dir.resolve("f.safetensors"), ONE_FLOAT, new byte[7]),
                "3 trailing bytes after the last tensor");
        rejects(Crafted.file(dir.resolve("f.safetensors"), "{}", new byte[1]),
                "1 trailing bytes after the last tensor");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[]|__metadata__ must be an object of strings, not an array",
            "null|__metadata__ must be an object of strings, not null",
            "\"pt\"|__metadata__ must be an object of strings, not a string",
            "{\"format\":1}|__metadata__ must be an object of strings, but 'format' is a number",
            "{\"nested\":{}}|but 'nested' is an object"})
    void metadataNotAnObjectOfStrings(String metadata, String message) {
        rejects(Crafted.file(dir.resolve("f.safetensors"), "{\"__metadata__\":" + metadata + "}", new byte[0]),
                message);
    }

    @Test
    void messagesQuoteNamesSafely() {
        String name = "bad\nname" + "x".repeat(500);
        SafetensorsException e = rejects(Crafted.file(dir.resolve("f.safetensors"),
                "{\"" + name.replace("\n", "\\n") + "\":5}", new byte[0]), "tensor 'bad\\u000aname");
        assertTrue(e.getMessage().length() < 400, e.getMessage());
    }

    @Test
    void validFileIsAccepted() {
        try (SafetensorsFile file = SafetensorsFile.open(Crafted.file(dir.resolve("f.safetensors"), ONE_FLOAT,
                new byte[4]))) {
            assertEquals(1, file.tensors().size());
        }
    }

    /** Opens {@code file}, expecting a one-line SafetensorsException that names it and contains {@code part}. */
    private static SafetensorsException rejects(Path file, String... parts) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), message);
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
        }
        assertTrue(Files.exists(file) || message.endsWith("no such file"));
        return e;
    }
}
