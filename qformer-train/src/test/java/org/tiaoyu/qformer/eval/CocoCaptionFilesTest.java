package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;

class CocoCaptionFilesTest {

    private static final String REFERENCES = """
            {"images": [{"id": 9, "file_name": "b.jpg"}, {"id": 7, "file_name": "a.jpg"}, {"id": 5}, {"id": "x1"}],
             "annotations": [{"image_id": 7, "id": 1, "caption": "A dog."},
                             {"image_id": 9, "id": 2, "caption": "Two cats."},
                             {"image_id": 4, "id": 3, "caption": "not an image in the list"},
                             {"image_id": 7, "id": 4, "caption": "a dog running"},
                             {"image_id": "x1", "id": 5, "caption": "a string id"}]}
            """;

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private BadInputException refused(String references, String predictions) throws IOException {
        Path r = write("refs.json", references);
        Path p = write("preds.json", predictions);
        return assertThrows(BadInputException.class, () -> CocoCaptionFiles.read(r, p));
    }

    @Test
    void readsImagesInImagesOrderAndCaptionsInFileOrder() throws IOException {
        CocoCaptionFiles files = CocoCaptionFiles.read(write("refs.json", REFERENCES), write("preds.json", """
                [{"image_id": 7, "caption": "a dog"}, {"image_id": 9.0, "caption": "cats"},
                 {"image_id": "x1", "caption": "x"}]
                """));
        assertEquals(List.of(9L, 7L, 5L, "x1"), List.copyOf(files.references().keySet()));
        assertEquals(List.of("A dog.", "a dog running"), files.references().get(7L));
        assertEquals(List.of(), files.references().get(5L));
        assertEquals(Map.of(7L, "a dog", 9L, "cats", "x1", "x"), files.predictions());
        assertEquals(List.of(7L, 9L, "x1"), List.copyOf(files.predictions().keySet()));
    }

    @Test
    void refusesBadPredictionsNamingTheFileAndEntry() throws IOException {
        Path preds = dir.resolve("preds.json");
        Path refs = dir.resolve("refs.json");
        assertEquals(preds + " [1]: image_id 4 is not an image of " + refs, refused(REFERENCES,
                "[{\"image_id\": 7, \"caption\": \"a\"}, {\"image_id\": 4, \"caption\": \"b\"}]").getMessage());
        assertEquals(preds + " [0]: image_id \"7\" is not an image of " + refs,
                refused(REFERENCES, "[{\"image_id\": \"7\", \"caption\": \"a\"}]").getMessage());
        assertEquals(preds + " [0]: image_id 5 has no reference captions in " + refs,
                refused(REFERENCES, "[{\"image_id\": 5, \"caption\": \"a\"}]").getMessage());
        assertEquals(preds + " [2]: a second prediction for image_id 7 (the first is [0])", refused(REFERENCES,
                "[{\"image_id\": 7, \"caption\": \"a\"}, {\"image_id\": 9, \"caption\": \"b\"},"
                        + " {\"image_id\": 7.0, \"caption\": \"c\"}]").getMessage());
        assertEquals(preds + " [0]: no \"caption\"", refused(REFERENCES, "[{\"image_id\": 7}]").getMessage());
        assertEquals(preds + " [0]: \"caption\" is 3, not a string",
                refused(REFERENCES, "[{\"image_id\": 7, \"caption\": 3}]").getMessage());
        assertEquals(preds + " [0]: \"caption\" is a list, not a string",
                refused(REFERENCES, "[{\"image_id\": 7, \"caption\": [\"a\"]}]").getMessage());
        assertEquals(preds + " [0]: no \"image_id\"", refused(REFERENCES, "[{\"caption\": \"a\"}]").getMessage());
        assertEquals(preds + " [0]: \"image_id\" is 7.5, not a whole number or a string",
                refused(REFERENCES, "[{\"image_id\": 7.5, \"caption\": \"a\"}]").getMessage());
        assertEquals(preds + " [0]: \"image_id\" is true, not a whole number or a string",
                refused(REFERENCES, "[{\"image_id\": true, \"caption\": \"a\"}]").getMessage());
        assertEquals(preds + " [1]: not a JSON object",
                refused(REFERENCES, "[{\"image_id\": 7, \"caption\": \"a\"}, 7]").getMessage());
        assertEquals(preds + ": no predictions (an empty list)", refused(REFERENCES, "[]").getMessage());
        assertEquals(preds + ": empty file (the predictions)", refused(REFERENCES, "").getMessage());
        assertEquals(preds + ": not a COCO results file (a list of {\"image_id\", \"caption\"} objects)",
                refused(REFERENCES, "{\"image_id\": 7, \"caption\": \"a\"}").getMessage());
    }

    @Test
    void refusesBadReferencesNamingTheFile() throws IOException {
        String preds = "[{\"image_id\": 7, \"caption\": \"a\"}]";
        Path refs = dir.resolve("refs.json");
        assertEquals(refs + ": empty file (the references)", refused("  \n", preds).getMessage());
        assertEquals(refs + ": not a COCO captions file (an object with \"images\" and \"annotations\" lists)",
                refused("{\"images\": []}", preds).getMessage());
        assertEquals(refs + ": not a COCO captions file (an object with \"images\" and \"annotations\" lists)",
                refused("[]", preds).getMessage());
        assertEquals(refs + " images[0]: no \"id\"",
                refused("{\"images\": [{\"file_name\": \"a.jpg\"}], \"annotations\": []}", preds).getMessage());
        assertEquals(refs + " annotations[0]: no \"caption\"", refused(
                "{\"images\": [{\"id\": 7}], \"annotations\": [{\"image_id\": 7, \"id\": 1}]}", preds).getMessage());
        assertEquals(refs + " annotations[0]: \"caption\" is null, not a string", refused(
                "{\"images\": [{\"id\": 7}], \"annotations\": [{\"image_id\": 7, \"caption\": null}]}", preds)
                .getMessage());
        assertEquals(refs + " annotations[0]: no \"image_id\"", refused(
                "{\"images\": [{\"id\": 7}], \"annotations\": [{\"caption\": \"a\"}]}", preds).getMessage());
        String truncated = refused("{\"images\": [{\"id\": 7}], \"annotations\": [", preds).getMessage();
        assertEquals(refs + ": not valid JSON", truncated.substring(0, truncated.indexOf(" (")));
        String trailing = refused("{\"images\": [], \"annotations\": []} {}", preds).getMessage();
        assertEquals(refs + ": not valid JSON", trailing.substring(0, trailing.indexOf(" (")));
        Path missing = dir.resolve("missing.json");
        assertEquals(missing + ": no such file (the references)", assertThrows(BadInputException.class,
                () -> CocoCaptionFiles.read(missing, write("p.json", preds))).getMessage());
    }
}
