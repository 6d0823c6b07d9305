package org.tiaoyu.qformer.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.train.LossPlot;

/**
 * The demo's {@code report.html}: one self-contained file (pictures inlined as data URIs, no script or style from
 * elsewhere) with the figures against chance, the loss curves of both stages and held-out pictures with the caption
 * the model wrote beside the one that says what they show. A small script counts the pictures that loaded into
 * {@code data-images-loaded} and any that failed into {@code data-image-errors}, for the headless-browser test.
 */
public final class DemoReport {

    /** The report's file name in the demo's output folder. */
    public static final String FILE = "report.html";

    /** Held-out pictures shown. */
    static final int EXAMPLES = 16;

    private DemoReport() {}

    /** Writes {@code report.html} into the run's folder (atomically) and returns its path. */
    public static Path write(Demo.Result r) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>TiaoYu Q-Former demo</title><style>")
                .append("body{font-family:sans-serif;max-width:64em;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;")
                .append("text-align:right}td:first-child,th:first-child{text-align:left}")
                .append(".examples{display:grid;grid-template-columns:repeat(4,1fr);gap:1em}")
                .append(".examples figure{margin:0}.examples img{width:96px;height:96px;image-rendering:pixelated}")
                .append(".right{color:#1a7f37}.wrong{color:#b42318}figcaption{font-size:.85em}")
                .append("</style></head><body>\n");
        h.append("<h1>BLIP-2, trained end to end on one machine</h1>\n<p>")
                .append(String.format(Locale.ROOT, "%.0f s. ", r.seconds()))
                .append("A tiny ViT and a tiny OPT-style language model were pretrained and frozen; the Q-Former was ")
                .append("trained in stage 1 (ITC + ITM + ITG) and stage 2 (the soft prompt). The figures are on ")
                .append("held-out pictures: every one shows a colour–form pair training never showed (")
                .append(String.join(", ", ShapesDataset.HELD_OUT_PAIRS.stream().sorted().toList()))
                .append(").</p>\n");
        h.append("<h2 id=\"metrics\">Figures</h2>\n<table><tr><th></th><th>chance</th><th>before</th><th>after</th></tr>");
        row(h, "text → image recall@1", r.chance().t2iR1(), r.before().t2iR1(), r.after().t2iR1());
        row(h, "image → text recall@1", r.chance().i2tR1(), r.before().i2tR1(), r.after().i2tR1());
        row(h, "caption with every attribute right", r.chance().captionAccuracy(), r.before().captionAccuracy(),
                r.after().captionAccuracy());
        row(h, "attributes named right", r.chance().attributeAccuracy(), r.before().attributeAccuracy(),
                r.after().attributeAccuracy());
        h.append("</table>\n<h2>Loss curves</h2>\n");
        for (String stage : new String[] {"stage1", "stage2"}) {
            Path plot = r.outputDir().resolve(stage).resolve(LossPlot.FILE);
            h.append("<h3>").append(stage.equals("stage1") ? "Stage 1" : "Stage 2").append("</h3>\n");
            image(h, plot, "loss curves of " + stage, "");
        }
        h.append("<h2>Held-out pictures</h2>\n<div class=\"examples\">\n");
        for (Demo.Example e : r.examples().subList(0, Math.min(EXAMPLES, r.examples().size()))) {
            h.append("<figure>");
            image(h, e.image(), e.reference(), "");
            h.append("<figcaption><span class=\"").append(e.right() ? "right\">✔ " : "wrong\">✘ ")
                    .append(escape(e.generated())).append("</span><br>truth: ").append(escape(e.reference()))
                    .append("</figcaption></figure>\n");
        }
        h.append("</div>\n<script>\n")
                .append("(function(){var images=document.images,loaded=0,failed=0,pending=images.length;")
                .append("function done(ok){ok?loaded++:failed++;pending--;if(pending===0){")
                .append("document.body.setAttribute('data-images-loaded',loaded);")
                .append("document.body.setAttribute('data-image-errors',failed);}}")
                .append("for(var i=0;i<images.length;i++){var im=images[i];")
                .append("if(im.complete){done(im.naturalWidth>0);}else{im.onload=function(){done(true)};")
                .append("im.onerror=function(){done(false)};}}})();\n</script>\n</body></html>\n");
        Path file = r.outputDir().resolve(FILE);
        AtomicFile.write(file, tmp -> Files.writeString(tmp, h, StandardCharsets.UTF_8));
        return file;
    }

    private static void row(StringBuilder h, String name, double chance, double before, double after) {
        h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>",
                escape(name), chance, before, after));
    }

    private static void image(StringBuilder h, Path png, String alt, String attributes) throws IOException {
        h.append("<img alt=\"").append(escape(alt)).append("\" ").append(attributes).append(" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(Files.readAllBytes(png))).append("\">");
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
