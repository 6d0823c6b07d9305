package org.tiaoyu.qformer.core.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeded mutation fuzzing of the reader: valid files from {@link SafetensorsWriter} (and a sharded checkpoint
 * index) get bits flipped, bytes spliced in, cut or deleted, numbers and tokens in the header swapped. Every
 * mutant must either open and load all its tensors, or fail with a one-line {@link SafetensorsException} naming
 * the file: any other exception, a hang or running out of memory is a bug. Case {@code i} uses seed
 * {@code qformer.fuzz.seed + i}; a failure names that seed, saves the mutant under {@code target/fuzz-failures},
 * and reruns alone with {@code -Dqformer.fuzz.seed=<seed> -Dqformer.fuzz.iterations=1}.
 */
class SafetensorsFuzzTest {

    private static final Logger log = LoggerFactory.getLogger(SafetensorsFuzzTest.class);

    private static final long SEED = Long.getLong("qformer.fuzz.seed", 0x5AFE_7E45L);
    private static final int ITERATIONS = Integer.getInteger("qformer.fuzz.iterations", 10_000);
    /** A case slower than this counts as a hang even if the whole run finishes in time. */
    private static final long SLOW_CASE_NANOS = Duration.ofSeconds(5).toNanos();

    private static final Pattern NUMBER = Pattern.compile("-?\\d+");
    private static final Pattern STRING = Pattern.compile("\"[^\"]*\"");
    private static final String[] NUMBERS = {"0", "1", "-1", "2", "3", "4", "7", "8", "12", "16", "255", "256",
            "65535", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808",
            "18446744073709551616", "99999999999999999999999999", "1e3", "1.5", "-0", "0.0"};
    private static final String[] TOKENS = {"\"F64\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"", "\"I32\"",
            "\"I16\"", "\"I8\"", "\"U8\"", "\"BOOL\"", "\"U16\"", "\"F8_E4M3\"", "\"dtype\"", "\"shape\"",
            "\"data_offsets\"", "\"__metadata__\"", "\"weight_map\"", "\"\"", "[]", "{}", "[0]", "[0,0]", "null",
            "true", "-1", "\"a\"", "\"model-00001-of-00002.safetensors\"", "\"../x\""};
    /** Dtypes of equal size, so that retyping keeps the file valid and feeds odd bit patterns to conversion. */
    private static final String[][] SAME_SIZE = {{"F32", "I32"}, {"F16", "BF16", "I16"}, {"I8", "U8", "BOOL"},
            {"F64", "I64"}};

    @TempDir
    Path dir;

    private volatile long currentSeed;

    @Test
    void everyMutantLoadsOrFailsWithSafetensorsException() throws IOException {
        List<byte[]> corpus = corpus();
        Path checkpointDir = Files.createDirectory(dir.resolve("checkpoint"));
        byte[] index = writeCheckpoint(checkpointDir);
        byte[] shard2 = Files.readAllBytes(checkpointDir.resolve("model-00002-of-00002.safetensors"));
        Path mutantFile = dir.resolve("mutant.safetensors");
        int[] outcomes = new int[2]; // loaded, rejected

        log.info("Fuzzing {} mutants from seed {}", ITERATIONS, SEED);
        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < ITERATIONS; i++) {
                long seed = SEED + i;
                currentSeed = seed;
                Random random = new Random(seed);
                List<String> steps = new ArrayList<>();
                long caseStart = System.nanoTime();
                boolean loaded;
                byte[] mutant;
                Path target;
                if (random.nextInt(5) == 0) { // a sharded checkpoint: mutate the index, sometimes a shard
                    mutant = mutateText(index, random, steps);
                    Files.write(checkpointDir.resolve(Checkpoint.INDEX_FILE), mutant);
                    boolean shardToo = random.nextInt(4) == 0;
                    Files.write(checkpointDir.resolve("model-00002-of-00002.safetensors"),
                            shardToo ? mutate(shard2, random, steps) : shard2);
                    target = checkpointDir;
                    loaded = check(seed, steps, mutant, checkpointDir, () -> loadAll(Checkpoint.open(checkpointDir)));
                } else {
                    mutant = mutate(corpus.get(random.nextInt(corpus.size())), random, steps);
                    Files.write(mutantFile, mutant);
                    target = mutantFile;
                    loaded = check(seed, steps, mutant, mutantFile, () -> loadAll(SafetensorsFile.open(mutantFile)));
                }
                outcomes[loaded ? 0 : 1]++;
                if (System.nanoTime() - caseStart > SLOW_CASE_NANOS) {
                    failCase(seed, steps, mutant, target, "took over 5 s", null);
                }
            }
        }, () -> "fuzz case with seed " + currentSeed + " hung; rerun it alone with -Dqformer.fuzz.seed="
                + currentSeed + " -Dqformer.fuzz.iterations=1");
        log.info("Fuzzed {} mutants in {} ms: {} loaded, {} rejected", ITERATIONS,
                (System.nanoTime() - start) / 1_000_000, outcomes[0], outcomes[1]);
        // Both outcomes must be common, or the mutations are too weak (or too strong) to test anything.
        assertTrue(outcomes[0] > ITERATIONS / 50 || ITERATIONS < 500, "too few mutants loaded: " + outcomes[0]);
        assertTrue(outcomes[1] > ITERATIONS / 2 || ITERATIONS < 500, "too few mutants rejected: " + outcomes[1]);
    }

    private interface OpenAndLoad {
        void run() throws Exception;
    }

    /** @return true if the mutant loaded, false if it was rejected properly; fails the test otherwise */
    private boolean check(long seed, List<String> steps, byte[] mutant, Path target, OpenAndLoad action) {
        try {
            action.run();
            return true;
        } catch (SafetensorsException e) {
            String message = e.getMessage();
            if (!message.startsWith(target.toString()) || message.contains("\n") || message.contains("\r")) {
                failCase(seed, steps, mutant, target, "badly formed message: " + message, e);
            }
            return false;
        } catch (Throwable e) { // any other exception, or an OutOfMemoryError, is a bug
            failCase(seed, steps, mutant, target, "threw " + e, e);
            return false;
        }
    }

    private static void loadAll(SafetensorsFile file) {
        try (file) {
            file.metadata();
            for (TensorInfo t : file.tensors()) {
                close(file.load(t.name()));
                close(file.load(t.name(), DataType.FLOAT));
                file.raw(t.name());
            }
        }
    }

    private static void loadAll(Checkpoint checkpoint) {
        try (checkpoint) {
            for (String name : checkpoint.names()) {
                close(checkpoint.load(name, DataType.FLOAT));
            }
        }
    }

    private static void close(INDArray array) {
        if (array.closeable()) {
            array.close();
        }
    }

    private void failCase(long seed, List<String> steps, byte[] mutant, Path target, String problem, Throwable e) {
        Path saved = Path.of("target", "fuzz-failures", "seed-" + seed + "-" + target.getFileName());
        try {
            Files.createDirectories(saved.getParent());
            Files.write(saved, mutant);
        } catch (IOException ignored) {
            saved = null; // the seed alone still reproduces it
        }
        String message = "fuzz case with seed " + seed + " " + problem + "; mutations " + steps + "; mutant saved to "
                + (saved == null ? "(could not save)" : saved.toAbsolutePath()) + "; rerun it alone with "
                + "-Dqformer.fuzz.seed=" + seed + " -Dqformer.fuzz.iterations=1";
        log.error(message, e);
        fail(message, e);
    }

    /** Valid files covering every dtype, 0-d and empty tensors, metadata, and no tensors at all. */
    private List<byte[]> corpus() throws IOException {
        Map<String, INDArray> mixed = new LinkedHashMap<>();
        for (DType dtype : DType.values()) {
            mixed.put("t_" + dtype, SafetensorsWriterTest.sample(dtype, 2, 3));
        }
        mixed.put("scalar", Nd4j.scalar(0.5f));
        mixed.put("empty", Nd4j.create(DataType.FLOAT16, 2, 0));
        Map<String, INDArray> floats = new LinkedHashMap<>();
        floats.put("encoder.layer.0.weight", Nd4j.rand(DataType.FLOAT, 4, 4));
        floats.put("encoder.layer.0.bias", Nd4j.rand(DataType.FLOAT, 16));
        floats.put("query_tokens", Nd4j.rand(DataType.FLOAT, 1, 2, 3));
        List<byte[]> corpus = new ArrayList<>();
        corpus.add(written("mixed", mixed, Map.of("format", "pt", "note", "fuzz")));
        corpus.add(written("floats", floats, Map.of()));
        corpus.add(written("single", Map.of("b", Nd4j.createFromArray(1f, -2f, 3f).castTo(DataType.BFLOAT16)),
                Map.of()));
        corpus.add(written("none", Map.of(), Map.of("format", "pt")));
        return corpus;
    }

    private byte[] written(String name, Map<String, INDArray> tensors, Map<String, String> metadata)
            throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        SafetensorsWriter.write(file, tensors, metadata);
        return Files.readAllBytes(file);
    }

    /** Two shards and their index; returns the index bytes. */
    private static byte[] writeCheckpoint(Path checkpointDir) throws IOException {
        Map<String, INDArray> first = new LinkedHashMap<>();
        first.put("a", Nd4j.createFromArray(1f, 2f));
        first.put("b", Nd4j.createFromArray(3.0));
        SafetensorsWriter.write(checkpointDir.resolve("model-00001-of-00002.safetensors"), first);
        SafetensorsWriter.write(checkpointDir.resolve("model-00002-of-00002.safetensors"),
                Map.of("c", Nd4j.createFromArray(5, 6)));
        byte[] index = ("{\"metadata\":{\"total_size\":28},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                + "\"b\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00002-of-00002.safetensors\"}}")
                .getBytes(StandardCharsets.UTF_8);
        Files.write(checkpointDir.resolve(Checkpoint.INDEX_FILE), index);
        return index;
    }

    /** One to three mutations of a safetensors file. */
    private static byte[] mutate(byte[] original, Random random, List<String> steps) {
        byte[] bytes = original;
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            int headerEnd = (int) Math.min(bytes.length, 8 + Math.max(0, headerLength(bytes)));
            switch (random.nextInt(8)) {
                case 0 -> bytes = flipBit(bytes, random, headerEnd, steps);
                case 1 -> {
                    int length = random.nextInt(bytes.length + 1);
                    steps.add("truncate to " + length);
                    bytes = Arrays.copyOf(bytes, length);
                }
                case 2 -> bytes = splice(bytes, random, headerEnd, steps);
                case 3 -> bytes = delete(bytes, random, headerEnd, steps);
                case 4 -> {
                    long length = switch (random.nextInt(4)) {
                        case 0 -> headerLength(bytes) + random.nextInt(17) - 8;
                        case 1 -> random.nextLong();
                        case 2 -> Header.MAX_BYTES + random.nextInt(3) - 1;
                        default -> random.nextInt(bytes.length + 1);
                    };
                    steps.add("header length " + length);
                    bytes = withHeaderLength(bytes, length);
                }
                default -> bytes = mutateHeader(bytes, random, steps);
            }
        }
        return bytes;
    }

    /** Edits the JSON header as text, then usually fixes the length field so that the edit gets parsed. */
    private static byte[] mutateHeader(byte[] bytes, Random random, List<String> steps) {
        long length = headerLength(bytes);
        if (bytes.length < 8 || length < 0 || 8 + length > bytes.length) {
            return flipBit(bytes, random, bytes.length, steps);
        }
        byte[] header = Arrays.copyOfRange(bytes, 8, 8 + (int) length);
        byte[] data = Arrays.copyOfRange(bytes, 8 + (int) length, bytes.length);
        byte[] edited = mutateText(header, random, steps);
        if (random.nextInt(4) == 0) { // retype a tensor to another dtype of the same size: stays valid
            String text = new String(edited, StandardCharsets.UTF_8);
            String[] group = SAME_SIZE[random.nextInt(SAME_SIZE.length)];
            String from = group[random.nextInt(group.length)];
            String to = group[random.nextInt(group.length)];
            steps.add("retype " + from + " -> " + to);
            edited = text.replaceFirst("\"" + from + "\"", "\"" + to + "\"").getBytes(StandardCharsets.UTF_8);
        }
        long newLength = random.nextInt(5) == 0 ? length : edited.length;
        return ByteBuffer.allocate(8 + edited.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(newLength).put(edited).put(data).array();
    }

    /** One edit of JSON text: a number or token replaced, a run of brackets, a piece copied elsewhere, or bytes. */
    private static byte[] mutateText(byte[] original, Random random, List<String> steps) {
        String text = new String(original, StandardCharsets.UTF_8);
        switch (random.nextInt(6)) {
            case 0, 1 -> {
                List<int[]> numbers = matches(NUMBER, text);
                if (!numbers.isEmpty()) {
                    int[] m = numbers.get(random.nextInt(numbers.size()));
                    String old = text.substring(m[0], m[1]);
                    String replacement = switch (random.nextInt(3)) {
                        case 0 -> NUMBERS[random.nextInt(NUMBERS.length)];
                        case 1 -> Long.toString(parseOr(old) + random.nextInt(9) - 4);
                        default -> Long.toString(parseOr(old) * 2);
                    };
                    steps.add("number " + old + " -> " + replacement + " at " + m[0]);
                    return utf8(text.substring(0, m[0]) + replacement + text.substring(m[1]));
                }
            }
            case 2 -> {
                List<int[]> strings = matches(STRING, text);
                if (!strings.isEmpty()) {
                    int[] m = strings.get(random.nextInt(strings.size()));
                    String replacement = TOKENS[random.nextInt(TOKENS.length)];
                    steps.add("token " + text.substring(m[0], m[1]) + " -> " + replacement + " at " + m[0]);
                    return utf8(text.substring(0, m[0]) + replacement + text.substring(m[1]));
                }
            }
            case 3 -> {
                int at = random.nextInt(text.length() + 1);
                int depth = random.nextBoolean() ? 1 + random.nextInt(8) : 500 + random.nextInt(3000);
                steps.add(depth + " brackets at " + at);
                return utf8(text.substring(0, at) + "[".repeat(depth) + text.substring(at));
            }
            case 4 -> {
                int from = random.nextInt(text.length() + 1);
                int to = Math.min(text.length(), from + random.nextInt(80));
                int at = random.nextInt(text.length() + 1);
                steps.add("copy [" + from + ", " + to + ") to " + at);
                return utf8(text.substring(0, at) + text.substring(from, to) + text.substring(at));
            }
            default -> {
                return random.nextBoolean() ? flipBit(original, random, original.length, steps)
                        : splice(original, random, original.length, steps);
            }
        }
        return flipBit(original, random, original.length, steps);
    }

    /** Flips one bit, in the first {@code hot} bytes (length field and header) half of the time. */
    private static byte[] flipBit(byte[] original, Random random, int hot, List<String> steps) {
        if (original.length == 0) {
            return original;
        }
        byte[] bytes = original.clone();
        int at = random.nextBoolean() && hot > 0 ? random.nextInt(hot) : random.nextInt(bytes.length);
        int bit = random.nextInt(8);
        bytes[at] ^= (byte) (1 << bit);
        steps.add("flip bit " + bit + " at " + at);
        return bytes;
    }

    /** Inserts or overwrites 1..16 random bytes, in the first {@code hot} bytes half of the time. */
    private static byte[] splice(byte[] original, Random random, int hot, List<String> steps) {
        byte[] junk = new byte[1 + random.nextInt(16)];
        random.nextBytes(junk);
        int at = random.nextBoolean() && hot > 0 ? random.nextInt(hot) : random.nextInt(original.length + 1);
        if (random.nextBoolean()) {
            steps.add("insert " + junk.length + " bytes at " + at);
            byte[] bytes = new byte[original.length + junk.length];
            System.arraycopy(original, 0, bytes, 0, at);
            System.arraycopy(junk, 0, bytes, at, junk.length);
            System.arraycopy(original, at, bytes, at + junk.length, original.length - at);
            return bytes;
        }
        steps.add("overwrite " + junk.length + " bytes at " + at);
        byte[] bytes = original.clone();
        System.arraycopy(junk, 0, bytes, at, Math.min(junk.length, bytes.length - at));
        return bytes;
    }

    private static byte[] delete(byte[] original, Random random, int hot, List<String> steps) {
        if (original.length == 0) {
            return original;
        }
        int at = random.nextBoolean() && hot > 0 ? random.nextInt(hot) : random.nextInt(original.length);
        int length = Math.min(original.length - at, 1 + random.nextInt(16));
        steps.add("delete " + length + " bytes at " + at);
        byte[] bytes = new byte[original.length - length];
        System.arraycopy(original, 0, bytes, 0, at);
        System.arraycopy(original, at + length, bytes, at, original.length - at - length);
        return bytes;
    }

    private static long headerLength(byte[] bytes) {
        return bytes.length < 8 ? -1 : ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    private static byte[] withHeaderLength(byte[] original, long length) {
        byte[] bytes = original.length < 8 ? Arrays.copyOf(original, 8) : original.clone();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return bytes;
    }

    private static List<int[]> matches(Pattern pattern, String text) {
        List<int[]> found = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            found.add(new int[] {m.start(), m.end()});
        }
        return found;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static long parseOr(String number) {
        try {
            return Long.parseLong(number);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
