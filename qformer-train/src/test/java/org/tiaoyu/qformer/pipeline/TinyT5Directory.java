package org.tiaoyu.qformer.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tiaoyu.qformer.core.Fixtures;

/**
 * A hub-style Flan-T5 BLIP-2 directory for tests: the T5 fixture's weights and config with a SentencePiece-Unigram
 * {@code tokenizer.json} written here (T5's layout: Metaspace, {@code </s>} appended by the post-processor) over
 * {@link #WORDS}, and a 32-px processor config.
 */
public final class TinyT5Directory {

    /** The words the tokenizer knows, ids 3 onwards. */
    public static final String[] WORDS = {"a", "photo", "of", "the", "cat", "what", "is", "shown", "?", "question",
        ":", "short", "answer"};

    private TinyT5Directory() {}

    /** Writes the directory into {@code dir} (which exists). */
    public static void write(Path dir) throws IOException {
        Path fixture = Fixtures.path("hf/public_t5/model");
        for (String f : List.of("config.json", "model.safetensors", "generation_config.json")) {
            Files.copy(fixture.resolve(f), dir.resolve(f));
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode processor = json.createObjectNode().put("image_processor_type", "BlipImageProcessor")
                .put("do_resize", true).put("resample", 3).put("do_rescale", true).put("rescale_factor", 1 / 255.0)
                .put("do_normalize", true).put("do_convert_rgb", true);
        processor.putObject("size").put("height", 32).put("width", 32);
        processor.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        processor.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        json.writeValue(dir.resolve("preprocessor_config.json").toFile(), processor);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), Map.of("tokenizer_class", "T5Tokenizer",
                "eos_token", "</s>", "pad_token", "<pad>", "unk_token", "<unk>", "padding_side", "right"));
        json.writeValue(dir.resolve("tokenizer.json").toFile(), unigramTokenizer(json));
    }

    /** 100 ids like the fixture's vocabulary: pad, eos, unk, words, single letters, fillers, {@code <image>} = 99. */
    private static ObjectNode unigramTokenizer(ObjectMapper json) {
        ObjectNode root = json.createObjectNode().put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        ArrayNode vocab = json.createArrayNode();
        String[] special = {"<pad>", "</s>", "<unk>"};
        for (int id = 0; id < 100; id++) {
            String piece = id < 3 ? special[id] : id == 99 ? "<image>" : id - 3 < WORDS.length ? "▁" + WORDS[id - 3]
                    : id - 3 - WORDS.length < 26 ? String.valueOf((char) ('a' + id - 3 - WORDS.length)) : "▁x" + id;
            vocab.addArray().add(piece).add(id < 3 || id == 99 ? 0.0 : -1.0 - id / 100.0);
            if (id < 3 || id == 99) {
                added.addObject().put("id", id).put("content", piece).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", false).put("special", true);
            }
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁")
                .put("prepend_scheme", "always").put("split", true);
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        post.putArray("single").addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ((ArrayNode) post.get("single")).addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        post.putArray("pair").addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ((ArrayNode) post.get("pair")).addObject().putObject("Sequence").put("id", "B").put("type_id", 0);
        ObjectNode eos = post.putObject("special_tokens").putObject("</s>").put("id", "</s>");
        eos.putArray("ids").add(1);
        eos.putArray("tokens").add("</s>");
        root.putObject("decoder").put("type", "Metaspace").put("replacement", "▁").put("prepend_scheme", "always")
                .put("split", true);
        root.putObject("model").put("type", "Unigram").put("unk_id", 2).put("byte_fallback", false)
                .set("vocab", vocab);
        return root;
    }
}
