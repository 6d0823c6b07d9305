package org.tiaoyu.qformer.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The demo models' tokenizers, written as HF {@code tokenizer.json} files (with {@code tokenizer_config.json}) for
 * the words the captions use, so that the tiny models get tiny vocabularies; they are read back by the same
 * {@code HfTokenizer} as any hub tokenizer.
 * <ul>
 *   <li>The Q-Former's: BERT's layout (lower-casing normaliser, BERT pre-tokenizer, WordPiece, {@code [CLS] … [SEP]}),
 *       with {@code [DEC]} as the bos token ITG starts from, as BLIP-2's.</li>
 *   <li>The language model's: OPT's conventions ({@code </s>} as bos before every text, {@code <pad>}), words split
 *       at spaces, and the newline kept as a token: LAVIS ends every stage-2 caption with "\n", which the model
 *       learns to end with and generation stops at.</li>
 * </ul>
 */
public final class DemoTokenizers {

    /** The language model's special tokens, at OPT's ids. */
    public static final List<String> LM_SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>");
    public static final String NEWLINE = "\n";
    /** BLIP-2's placeholder for the query embeddings in the language model's input (HF's {@code image_token_index}). */
    public static final String IMAGE_TOKEN = "<image>";
    public static final List<String> QFORMER_SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]");

    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoTokenizers() {}

    /** The words of every demo caption, in a fixed order. */
    public static List<String> captionWords() {
        Set<String> words = new LinkedHashSet<>(List.of("a", "photo", "of"));
        words.addAll(ShapeScene.SIZES);
        words.addAll(ShapeScene.COLOURS);
        words.addAll(ShapeScene.FORMS);
        ShapeScene.RELATIONS.forEach(r -> words.addAll(List.of(r.split(" "))));
        return new ArrayList<>(words);
    }

    /** The language model's vocabulary: the specials, the newline, the words, {@code <image>}; id = position. */
    public static List<String> languageModelVocabulary() {
        List<String> vocab = new ArrayList<>(LM_SPECIALS);
        vocab.add(NEWLINE);
        vocab.addAll(captionWords());
        vocab.add(IMAGE_TOKEN);
        return vocab;
    }

    /** The Q-Former's vocabulary: BERT's specials, then the words; id = position. */
    public static List<String> qformerVocabulary() {
        List<String> vocab = new ArrayList<>(QFORMER_SPECIALS);
        vocab.addAll(captionWords());
        return vocab;
    }

    /** Writes the Q-Former's {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}. */
    public static void writeQFormer(Path dir) {
        List<String> vocab = qformerVocabulary();
        ObjectNode root = header();
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true)
                .put("handle_chinese_chars", true).putNull("strip_accents").put("lowercase", true);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addAll(single.deepCopy());
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
        ObjectNode specials = post.putObject("special_tokens");
        for (String t : List.of("[CLS]", "[SEP]")) {
            ObjectNode s = specials.putObject(t).put("id", t);
            s.putArray("ids").add(vocab.indexOf(t));
            s.putArray("tokens").add(t);
        }
        root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = root.putObject("model").put("type", "WordPiece").put("unk_token", "[UNK]")
                .put("continuing_subword_prefix", "##").put("max_input_chars_per_word", 100);
        vocabulary(model, vocab);
        addedTokens(root, vocab, QFORMER_SPECIALS);
        write(dir.resolve("tokenizer.json"), root);
        write(dir.resolve("tokenizer_config.json"), Map.of("tokenizer_class", "BertTokenizer", "do_lower_case",
                true, "bos_token", "[DEC]", "cls_token", "[CLS]", "sep_token", "[SEP]", "pad_token", "[PAD]",
                "unk_token", "[UNK]", "mask_token", "[MASK]", "model_max_length", 64));
    }

    /** Writes the language model's {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}. */
    public static void writeLanguageModel(Path dir) {
        List<String> vocab = languageModelVocabulary();
        ObjectNode root = header();
        root.putNull("normalizer");
        // The words and each newline are the pieces; the spaces between them go.
        ObjectNode split = root.putObject("pre_tokenizer").put("type", "Split");
        split.putObject("pattern").put("Regex", "[^ \\n]+|\\n");
        split.put("behavior", "Removed").put("invert", true);
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addAll(single.deepCopy());
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode s = post.putObject("special_tokens").putObject("</s>").put("id", "</s>");
        s.putArray("ids").add(vocab.indexOf("</s>"));
        s.putArray("tokens").add("</s>");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model").put("type", "WordLevel").put("unk_token", "<unk>");
        vocabulary(model, vocab);
        List<String> added = new ArrayList<>(LM_SPECIALS);
        added.add(IMAGE_TOKEN);
        addedTokens(root, vocab, added);
        write(dir.resolve("tokenizer.json"), root);
        write(dir.resolve("tokenizer_config.json"), Map.of("tokenizer_class", "PreTrainedTokenizerFast",
                "bos_token", "</s>", "eos_token", "</s>", "pad_token", "<pad>", "unk_token", "<unk>",
                "model_max_length", 64));
    }

    private static ObjectNode header() {
        ObjectNode root = JSON.createObjectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        return root;
    }

    private static void vocabulary(ObjectNode model, List<String> vocab) {
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            v.put(vocab.get(i), i);
        }
    }

    private static void addedTokens(ObjectNode root, List<String> vocab, List<String> specials) {
        ArrayNode added = root.putArray("added_tokens");
        for (String t : specials) {
            added.addObject().put("id", vocab.indexOf(t)).put("content", t).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
    }

    private static void write(Path file, Object json) {
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
