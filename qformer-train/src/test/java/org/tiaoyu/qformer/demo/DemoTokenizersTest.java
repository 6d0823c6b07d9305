package org.tiaoyu.qformer.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.lm.tokenizer.HfTokenizer;

/** The written tokenizer files, read back by the HF tokenizers library as any model directory's. */
class DemoTokenizersTest {

    @TempDir
    Path dir;

    @Test
    void theLanguageModelsTokenizerKeepsTheNewlineAndStartsWithItsBos() {
        DemoTokenizers.writeLanguageModel(dir);
        List<String> vocab = DemoTokenizers.languageModelVocabulary();
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            long[] ids = t.encode("a photo of a small red circle above a large blue square\n");
            assertEquals(vocab.indexOf("</s>"), ids[0], "OPT's bos before the text");
            assertEquals(vocab.indexOf("\n"), ids[ids.length - 1], "the newline is a token");
            assertEquals(1 + 12 + 1, ids.length);
            assertEquals(vocab.indexOf("</s>"), t.specialIds().bos().getAsLong());
            assertEquals(vocab.indexOf("<pad>"), t.specialIds().pad().getAsLong());
            assertEquals("a small red circle", t.decode(java.util.Arrays.copyOfRange(ids, 4, 8), true));
        }
    }

    @Test
    void theQFormersTokenizerIsBertsLayoutWithDecAsBos() {
        DemoTokenizers.writeQFormer(dir);
        List<String> vocab = DemoTokenizers.qformerVocabulary();
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            long[] ids = t.encode("A small red circle left of a large blue square.");
            assertEquals(vocab.indexOf("[CLS]"), ids[0]);
            assertEquals(vocab.indexOf("[SEP]"), ids[ids.length - 1]);
            assertEquals(vocab.indexOf("small"), ids[2], "lower-cased");
            assertEquals(vocab.indexOf("[UNK]"), ids[ids.length - 2], "the period is not a demo word");
            assertEquals(vocab.indexOf("[DEC]"), t.specialIds().bos().getAsLong());
            assertArrayEquals(new long[] {vocab.indexOf("[CLS]"), vocab.indexOf("left"), vocab.indexOf("of"),
                vocab.indexOf("[SEP]")}, t.encode("left of"));
        }
    }
}
