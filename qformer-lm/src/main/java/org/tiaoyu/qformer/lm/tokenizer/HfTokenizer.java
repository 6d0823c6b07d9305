package org.tiaoyu.qformer.lm.tokenizer;

import ai.djl.engine.EngineException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * A model directory's HF tokenizer: the {@code tokenizer.json} that transformers' fast tokenizers (the default
 * backend in transformers 5) run with the Rust {@code tokenizers} library, here run by the same library through
 * DJL's JNI bindings. The special tokens are named in {@code tokenizer_config.json}, else in
 * {@code special_tokens_map.json}.
 *
 * <p>Mirrors {@code AutoTokenizer.from_pretrained(dir)}: {@link #encode} is {@code tokenizer(text)["input_ids"]}
 * (the post-processor adds BERT's {@code [CLS]}/{@code [SEP]} or OPT's leading {@code </s>}), {@link #decode} is
 * {@code tokenizer.decode(ids, skip_special_tokens=...)} and {@link #encodeBatch} is
 * {@code tokenizer(texts, padding=True, truncation=..., max_length=...)}. Close it to free the native tokenizers.
 */
public final class HfTokenizer implements AutoCloseable {

    /** DJL options: special tokens as HF's {@code add_special_tokens=True}; padding and truncation are ours. */
    private static final Map<String, String> PLAIN = Map.of(
            "addSpecialTokens", "true", "padding", "false", "truncation", "false");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String json;
    private final HuggingFaceTokenizer tokenizer;
    /** One native tokenizer per truncation length, made on first use: DJL fixes truncation when it builds one. */
    private final Map<Integer, HuggingFaceTokenizer> truncating = new ConcurrentHashMap<>();
    private final Map<String, Long> vocab;
    private final SpecialTokenIds specialIds;
    private final boolean cleanUpTokenizationSpaces;

    private HfTokenizer(Path file, String json, HuggingFaceTokenizer tokenizer, Map<String, Long> vocab,
            SpecialTokenIds specialIds, boolean cleanUpTokenizationSpaces) {
        this.file = file;
        this.json = json;
        this.tokenizer = tokenizer;
        this.vocab = vocab;
        this.specialIds = specialIds;
        this.cleanUpTokenizationSpaces = cleanUpTokenizationSpaces;
    }

    /**
     * Loads the tokenizer of a model directory as saved by transformers' {@code save_pretrained}.
     *
     * <p>Before DJL's first use this sets {@code ai.djl.offline=true}, unless {@code ai.djl.offline} or
     * {@code DJL_OFFLINE} is already set: DJL then loads the CPU library bundled in its jar (never downloads a CUDA
     * build when it sees a GPU) and skips its EC2 telemetry lookup.
     *
     * @param modelDir a directory holding {@code tokenizer.json}
     * @return the tokenizer
     * @throws BadInputException when {@code tokenizer.json} is missing or is not a tokenizer, or a tokenizer config
     *     file is not valid JSON
     */
    public static HfTokenizer load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": not found (a model directory with text holds its tokenizer.json)");
        } catch (MalformedInputException e) {
            throw new BadInputException(file + ": not a valid tokenizer file (not UTF-8 text)", e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root = readJson(file, json);
        Map<String, Long> vocab = vocabulary(file, root);
        JsonNode config = readOptionalJson(modelDir.resolve("tokenizer_config.json"));
        JsonNode specialTokensMap = readOptionalJson(modelDir.resolve("special_tokens_map.json"));

        // transformers 5 defaults clean_up_tokenization_spaces to False; BERT's WordPiece decoder does its own
        // clean-up, configured in tokenizer.json.
        boolean cleanUp = config.path("clean_up_tokenization_spaces").asBoolean(false);
        SpecialTokenIds specialIds = new SpecialTokenIds(
                specialId("bos_token", config, specialTokensMap, vocab),
                specialId("eos_token", config, specialTokensMap, vocab),
                specialId("pad_token", config, specialTokensMap, vocab),
                specialId("unk_token", config, specialTokensMap, vocab),
                specialId("cls_token", config, specialTokensMap, vocab),
                specialId("sep_token", config, specialTokensMap, vocab),
                specialId("mask_token", config, specialTokensMap, vocab));
        return new HfTokenizer(file, json, nativeTokenizer(file, json, PLAIN), vocab, specialIds, cleanUp);
    }

    /**
     * Encodes one text with the post-processor's special tokens, as HF's {@code tokenizer(text)["input_ids"]}.
     * Added tokens such as {@code <image>} or a literal {@code </s>} in the text become their single ids.
     *
     * @param text the text
     * @return its ids
     */
    public long[] encode(String text) {
        return tokenizer.encode(text).getIds();
    }

    /**
     * The tokens of {@link #encode}, as HF's {@code tokenizer(text).tokens()}: specials included, byte-level BPE
     * tokens in their byte-to-unicode form ({@code Ġ} for a leading space), WordPiece continuations with {@code ##}.
     *
     * @param text the text
     * @return its tokens
     */
    public List<String> tokens(String text) {
        return List.of(tokenizer.encode(text).getTokens());
    }

    /**
     * Decodes ids to text, as one row of HF's {@code tokenizer.batch_decode(ids, skip_special_tokens=...)}: the
     * {@code tokenizer.json} decoder, then HF's {@code clean_up_tokenization} when {@code tokenizer_config.json}
     * sets {@code clean_up_tokenization_spaces}.
     *
     * @param ids token ids
     * @param skipSpecialTokens drop every token marked special in {@code tokenizer.json} (bos, pad, {@code <image>},
     *     ...), wherever it is
     * @return the text
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        String text = tokenizer.decode(ids, skipSpecialTokens);
        return cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
    }

    /**
     * Decodes each row with {@link #decode}, as HF's {@code tokenizer.batch_decode}.
     *
     * @param ids {@code (batch, length)} token ids; rows may differ in length
     * @param skipSpecialTokens drop special tokens
     * @return one text per row
     */
    public List<String> decodeBatch(long[][] ids, boolean skipSpecialTokens) {
        return Arrays.stream(ids).map(row -> decode(row, skipSpecialTokens)).toList();
    }

    /**
     * The id of a token, as HF's {@code tokenizer.convert_tokens_to_ids(token)} for a token in the vocabulary;
     * empty where HF would fall back to the unknown token's id.
     *
     * @param token a token as the vocabulary spells it ({@code "[DEC]"}, {@code "<image>"}, {@code "Ġdog"})
     * @return its id
     */
    public OptionalLong tokenId(String token) {
        Long id = vocab.get(token);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /** @return the ids of the named special tokens (bos, eos, pad, unk, cls, sep, mask) */
    public SpecialTokenIds specialIds() {
        return specialIds;
    }

    /**
     * Encodes texts and pads them to the longest, as HF's {@code tokenizer(texts, padding=True)} with
     * {@code tokenizer.padding_side} set to {@code side}.
     *
     * @param texts the texts, at least one
     * @param side where the padding goes
     * @return ids and attention mask, {@code (texts.size(), longest)}
     * @throws IllegalStateException when the tokenizer has no pad token (HF raises too)
     */
    public EncodedBatch encodeBatch(List<String> texts, PaddingSide side) {
        return pad(texts.stream().map(this::encode).toList(), side);
    }

    /**
     * Encodes texts, truncates each to {@code maxLength} tokens counting the post-processor's special tokens, and
     * pads them to the longest, as HF's {@code tokenizer(texts, padding=True, truncation=True,
     * max_length=maxLength)}: the text's tokens are cut from the right and the special tokens kept.
     *
     * @param texts the texts, at least one
     * @param side where the padding goes
     * @param maxLength the most tokens per text, special tokens included
     * @return ids and attention mask, {@code (texts.size(), min(longest, maxLength))}
     * @throws IllegalArgumentException when {@code maxLength} is shorter than the special tokens alone
     * @throws IllegalStateException when the tokenizer has no pad token
     */
    public EncodedBatch encodeBatch(List<String> texts, PaddingSide side, int maxLength) {
        int specialTokens = encode("").length; // HF's num_special_tokens_to_add()
        if (maxLength < Math.max(1, specialTokens)) {
            throw new IllegalArgumentException("maxLength " + maxLength + " must be at least 1 and hold the "
                    + specialTokens + " special tokens the tokenizer adds");
        }
        HuggingFaceTokenizer truncatingTokenizer = truncating.computeIfAbsent(maxLength, length ->
                nativeTokenizer(file, json, Map.of("addSpecialTokens", "true", "padding", "false",
                        "truncation", "true", "maxLength", length.toString(), "modelMaxLength", length.toString())));
        return pad(texts.stream().map(text -> truncatingTokenizer.encode(text).getIds()).toList(), side);
    }

    /** Frees the native tokenizers. */
    @Override
    public void close() {
        tokenizer.close();
        truncating.values().forEach(HuggingFaceTokenizer::close);
        truncating.clear();
    }

    private EncodedBatch pad(List<long[]> rows, PaddingSide side) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no texts to encode");
        }
        long padId = specialIds.pad().orElseThrow(() -> new IllegalStateException(
                "tokenizer " + file + " has no pad token, so a batch cannot be padded"));
        int length = rows.stream().mapToInt(row -> row.length).max().orElseThrow();
        long[][] ids = new long[rows.size()][length];
        long[][] mask = new long[rows.size()][length];
        for (int b = 0; b < rows.size(); b++) {
            long[] row = rows.get(b);
            int start = side == PaddingSide.LEFT ? length - row.length : 0;
            Arrays.fill(ids[b], padId);
            System.arraycopy(row, 0, ids[b], start, row.length);
            Arrays.fill(mask[b], start, start + row.length, 1L);
        }
        return new EncodedBatch(ids, mask);
    }

    /** HF's {@code PreTrainedTokenizerBase.clean_up_tokenization}: English contractions and punctuation spacing. */
    static String cleanUpTokenization(String text) {
        return text.replace(" .", ".")
                .replace(" ?", "?")
                .replace(" !", "!")
                .replace(" ,", ",")
                .replace(" ' ", "'")
                .replace(" n't", "n't")
                .replace(" 'm", "'m")
                .replace(" 's", "'s")
                .replace(" 've", "'ve")
                .replace(" 're", "'re");
    }

    private static HuggingFaceTokenizer nativeTokenizer(Path file, String json, Map<String, String> options) {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        try {
            return HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a byte array does not fail
        } catch (EngineException e) {
            throw new IllegalStateException("DJL's tokenizers library does not load on this platform (its jar bundles "
                    + "Linux x86-64 and aarch64 builds): " + oneLine(e), e);
        } catch (RuntimeException e) {
            throw new BadInputException(file + ": not a valid tokenizer file (" + oneLine(e) + ")", e);
        }
    }

    /**
     * Token to id over the model's vocabulary and the added tokens, as the Rust {@code Tokenizer::token_to_id}:
     * {@code model.vocab} is an object for BPE, WordPiece and WordLevel and a list of {@code [token, score]} for
     * Unigram, where the id is the position.
     */
    private static Map<String, Long> vocabulary(Path file, JsonNode root) {
        JsonNode modelVocab = root.path("model").path("vocab");
        Map<String, Long> vocab = new HashMap<>();
        if (modelVocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = modelVocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                vocab.put(entry.getKey(), entry.getValue().asLong());
            }
        } else if (modelVocab.isArray()) {
            for (int id = 0; id < modelVocab.size(); id++) {
                vocab.put(modelVocab.get(id).path(0).asText(), (long) id);
            }
        } else {
            throw new BadInputException(file + ": not a valid tokenizer file (it has no model.vocab)");
        }
        for (JsonNode added : root.path("added_tokens")) {
            vocab.put(added.path("content").asText(), added.path("id").asLong());
        }
        return Map.copyOf(vocab);
    }

    /**
     * A named special token's id. transformers writes the token as a string, or as an {@code AddedToken} object
     * with its text in {@code content}.
     */
    private static OptionalLong specialId(String key, JsonNode config, JsonNode specialTokensMap,
            Map<String, Long> vocab) {
        JsonNode token = config.has(key) ? config.get(key) : specialTokensMap.path(key);
        String text = token.isObject() ? token.path("content").asText(null) : token.asText(null);
        Long id = text == null ? null : vocab.get(text);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    private static JsonNode readOptionalJson(Path file) {
        if (!Files.exists(file)) {
            return JSON.createObjectNode();
        }
        try {
            return readJson(file, Files.readString(file, StandardCharsets.UTF_8));
        } catch (MalformedInputException e) {
            throw new BadInputException(file + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file, String text) {
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || !root.isObject()) {
                throw new BadInputException(file + ": not a JSON object");
            }
            return root;
        } catch (JacksonException e) {
            String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
            throw new BadInputException(
                    file + ": not valid JSON: " + e.getOriginalMessage().replaceAll("\\s+", " ") + where, e);
        }
    }

    private static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replaceAll("\\s+", " ").trim();
    }
}
