package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.Fixtures;

/**
 * End to end on testdata/e2e: {@code qformer match --json} on the hub-style retrieval directory (real BERT
 * tokenizer, real images) gives every {@code retrieval_cases} pair HF's ITM probability and ITC score within 1e-3.
 */
class MatchCommandTest {

    @Test
    void everyRetrievalCaseMatchesHuggingFace() throws Exception {
        Path e2e = Fixtures.path("e2e");
        JsonNode reference = new ObjectMapper().readTree(e2e.resolve("e2e_reference.json").toFile());
        int checked = 0;
        for (JsonNode c : reference.get("retrieval_cases")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), "match", "--model",
                    e2e.resolve("retrieval_model").toString(), "--image",
                    e2e.resolve("images").resolve(c.get("image").asText()).toString(), "--text",
                    c.get("text").asText(), "--json");
            assertEquals(0, status, err.toString());
            JsonNode line = new ObjectMapper().readTree(out.toString().trim());
            String what = c.get("image").asText() + " / " + c.get("text").asText();
            assertEquals(c.get("itm_prob_match").asDouble(), line.get("itm").asDouble(), 1e-3, what);
            assertEquals(c.get("itc_score").asDouble(), line.get("itc").asDouble(), 1e-3, what);
            checked++;
        }
        assertEquals(9, checked);
    }
}
