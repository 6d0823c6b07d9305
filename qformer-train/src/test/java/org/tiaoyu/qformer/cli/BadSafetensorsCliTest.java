package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every kind of broken safetensors file of DESIGN §3, through the command line: exit status 2, one {@code error:}
 * line that names the file and the problem, nothing on stdout. (The reader's own tests check each rule in detail.)
 */
class BadSafetensorsCliTest {

    @TempDir
    Path dir;

    /** A file of {@code declaredLength} + header + {@code dataBytes} zero bytes. */
    private Path craft(long declaredLength, String header, int dataBytes) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength < 0 ? h.length : declaredLength).put(h);
        Path file = dir.resolve("model.safetensors");
        Files.write(file, b.array());
        return file;
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "header length past the end|9999|{}|0|past the end of the file",
        "header length over 100 MB|200000000|{}|0|over the limit",
        "not JSON|-1|{\"a\":|0|not valid JSON",
        "not an object|-1|[1,2]|0|must be a JSON object",
        "duplicate keys|-1|DUP|8|duplicate",
        "unknown dtype|-1|UNKNOWN_DTYPE|4|dtype",
        "negative shape|-1|NEGATIVE|4|shape",
        "offsets out of order or overlapping|-1|OVERLAP|8|overlap",
        "a gap between tensors|-1|GAP|12|gap",
        "data past the end|-1|PAST|4|past the end",
        "size not numel x dtype|-1|SIZE|8|bytes",
        "trailing bytes|-1|ONE|12|trailing",
    })
    void isOneErrorLineWithStatus2(String what, long length, String header, int dataBytes, String problem)
            throws Exception {
        String json = switch (header) {
            case "DUP" -> "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("a", "F32", "[1]", 4, 8) + "}";
            case "UNKNOWN_DTYPE" -> "{" + tensor("a", "F31", "[1]", 0, 4) + "}";
            case "NEGATIVE" -> "{" + tensor("a", "F32", "[-1]", 0, 4) + "}";
            case "OVERLAP" -> "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("b", "F32", "[1]", 2, 6) + "}";
            case "GAP" -> "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("b", "F32", "[1]", 8, 12) + "}";
            case "PAST" -> "{" + tensor("a", "F32", "[4]", 0, 16) + "}";
            case "SIZE" -> "{" + tensor("a", "F32", "[1]", 0, 8) + "}";
            case "ONE" -> "{" + tensor("a", "F32", "[1]", 0, 4) + "}";
            default -> header;
        };
        Path file = craft(length, json, dataBytes);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), "inspect", "--model",
                file.toString());
        List<String> lines = err.toString().lines().toList();
        assertEquals(2, status, what + ": " + err);
        assertEquals(1, lines.size(), what + ": " + err);
        assertTrue(lines.get(0).startsWith("error: " + file + ": "), lines.get(0));
        assertTrue(lines.get(0).toLowerCase().contains(problem.toLowerCase()), what + ": " + lines.get(0));
        assertEquals("", out.toString());
    }
}
