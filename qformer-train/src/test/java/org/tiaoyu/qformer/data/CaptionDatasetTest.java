package org.tiaoyu.qformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.BadInputException;

class CaptionDatasetTest {

    @TempDir
    Path dir;

    private final CaptionCleaner cleaner = new CaptionCleaner(50);

    @BeforeEach
    void images() throws IOException {
        Files.createDirectories(dir.resolve("img"));
        for (String name : List.of("a.jpg", "b.jpg", "c.jpg")) {
            Files.write(dir.resolve("img").resolve(name), new byte[] {1});
        }
        Files.write(dir.resolve("img/empty.jpg"), new byte[0]);
    }

    private CaptionDataset read(Path file, AnnotationFormat format, Path root) {
        return CaptionDataset.read(file, format, root, cleaner, r -> Files.isRegularFile(r.file())
                ? (r.file().toFile().length() == 0 ? "empty file" : null) : "no such file");
    }

    @Test
    void cocoCaptionsGiveOneRecordPerAnnotationWithTheImageIdAndCleanedText() throws IOException {
        Path file = Files.writeString(dir.resolve("coco.json"), """
                {"images": [{"id": 7, "file_name": "a.jpg"}, {"id": 9, "file_name": "b.jpg"}],
                 "annotations": [{"image_id": 7, "id": 1, "caption": "A dog."},
                                 {"image_id": 9, "id": 2, "caption": "Two CATS!"},
                                 {"image_id": 7, "id": 3, "caption": "a dog (running)"},
                                 {"image_id": 5, "id": 4, "caption": "no such image id"},
                                 {"image_id": 9, "id": 5, "caption": "..."}]}
                """);
        CaptionDataset d = read(file, null, dir.resolve("img"));
        assertEquals(List.of("a dog", "two cats", "a dog running"), d.records().stream().map(CaptionRecord::caption)
                .toList());
        assertEquals(List.of(0L, 1L, 0L), d.records().stream().map(CaptionRecord::imageId).toList());
        assertEquals(dir.resolve("img/a.jpg"), d.records().get(0).file());
        assertEquals("a.jpg", d.records().get(0).image());
        assertEquals(List.of(file + " annotations[3]: image_id 5 is not in \"images\"",
                file + " annotations[4]: empty caption"), d.skipped().stream().map(Object::toString).toList());
    }

    @Test
    void karpathyListsTakeAStringOrAListOfCaptionsAndDefaultToTheFilesDirectory() throws IOException {
        Path file = Files.writeString(dir.resolve("karpathy.json"), """
                [{"image": "img/a.jpg", "caption": "one", "image_id": "coco_1"},
                 {"image": "img/b.jpg", "caption": ["two", "three"], "image_id": "coco_2"},
                 {"image": "img/a.jpg", "caption": "four", "image_id": "coco_1"},
                 {"image": "img/missing.jpg", "caption": "five", "image_id": "coco_3"},
                 {"image": "img/empty.jpg", "caption": "six", "image_id": "coco_4"},
                 {"caption": "no image"},
                 {"image": "img/c.jpg", "caption": 5}]
                """);
        CaptionDataset d = read(file, AnnotationFormat.KARPATHY, null);
        assertEquals(List.of("one", "two", "three", "four"), d.records().stream().map(CaptionRecord::caption)
                .toList());
        assertEquals(List.of(0L, 1L, 1L, 0L), d.records().stream().map(CaptionRecord::imageId).toList());
        assertEquals(List.of(
                file + " [3]: image img/missing.jpg: no such file",
                file + " [4]: image img/empty.jpg: empty file",
                file + " [5]: no \"image\" path",
                file + " [6]: no \"caption\" (a string or a list of strings)"),
                d.skipped().stream().map(Object::toString).toList());
    }

    @Test
    void jsonlManifestsSkipBadLinesByNumberAndIdImagesByPath() throws IOException {
        Path file = Files.writeString(dir.resolve("train.jsonl"), """
                {"image": "img/a.jpg", "caption": ["a red ball", "a ball"]}
                not json

                {"image": "img/b.jpg", "caption": "   "}
                {"image": "img/c.jpg", "caption": "c", "image_id": 42}
                {"image": "img/a.jpg", "caption": "again"}
                """);
        CaptionDataset d = read(file, null, null);
        assertEquals(List.of("a red ball", "a ball", "c", "again"), d.records().stream().map(CaptionRecord::caption)
                .toList());
        assertEquals(List.of(0L, 0L, 1L, 0L), d.records().stream().map(CaptionRecord::imageId).toList());
        assertEquals(file + ":1 caption[1]", d.records().get(1).source());
        assertEquals(2, d.skipped().size());
        assertTrue(d.skipped().get(0).toString().startsWith(file + ":2: not valid JSON"), d.skipped().toString());
        assertEquals(file + ":4: empty caption", d.skipped().get(1).toString());
    }

    @Test
    void aFileThatCannotBeReadAtAllIsBadInputNamingIt() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage.json"), "{not json");
        BadInputException e = assertThrows(BadInputException.class, () -> read(garbage, null, null));
        assertTrue(e.getMessage().startsWith(garbage + ": not valid JSON"), e.getMessage());
        Path list = Files.writeString(dir.resolve("list.json"), "[]");
        e = assertThrows(BadInputException.class, () -> read(list, AnnotationFormat.COCO, null));
        assertTrue(e.getMessage().startsWith(list + ": not a COCO captions file"), e.getMessage());
        Path missing = dir.resolve("missing.jsonl");
        e = assertThrows(BadInputException.class, () -> read(missing, null, null));
        assertEquals(missing + ": no such file (the annotations)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AnnotationFormat.parse("csv"));
    }
}
