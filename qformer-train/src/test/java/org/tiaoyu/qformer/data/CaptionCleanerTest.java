package org.tiaoyu.qformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class CaptionCleanerTest {

    /** Every case as LAVIS's own {@code pre_caption} cleans it (the resource says how it was made). */
    @Test
    void matchesLavisPreCaption() throws IOException {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/data/lavis_pre_caption.json")) {
            cases = new ObjectMapper().readTree(in).get("cases");
        }
        CaptionCleaner fifty = new CaptionCleaner(CaptionCleaner.DEFAULT_MAX_WORDS);
        CaptionCleaner three = new CaptionCleaner(3);
        for (JsonNode c : cases) {
            String input = c.get(0).asText();
            assertEquals(c.get(1).asText(), fifty.clean(input), "max_words 50: " + input);
            assertEquals(c.get(2).asText(), three.clean(input), "max_words 3: " + input);
        }
        assertEquals(13, cases.size());
    }

    @Test
    void refusesFewerThanOneWord() {
        assertThrows(IllegalArgumentException.class, () -> new CaptionCleaner(0));
    }
}
