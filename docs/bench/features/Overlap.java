import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.vision.VisionTower;
import org.tiaoyu.qformer.vision.features.FeatureCacheWriter;
import org.tiaoyu.qformer.vision.features.ImageSource;
import org.tiaoyu.qformer.vision.image.ImageDecoder;
import org.tiaoyu.qformer.vision.image.ImageProcessor;
import org.tiaoyu.qformer.vision.image.ImageProcessorConfig;

/** Decode alone, encode alone, then FeatureCacheWriter (both overlapped), in one warm JVM: wall and process CPU. */
public class Overlap {
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] args) throws Exception {
        org.tiaoyu.qformer.core.NativeBackend.configure(); // as qformer main does: the oneDNN build on AVX-512
        Path model = Path.of(args[0]);
        List<ImageSource> images = ImageSource.list(Path.of(args[1]));
        int batch = 8;
        VisionTower tower = VisionTower.load(model);
        ImageProcessor processor = new ImageProcessor(ImageProcessorConfig.fromModelDir(model).withSize(tower.imageSize()));
        FeatureCacheWriter writer = new FeatureCacheWriter(tower, processor, model, FeatureCacheWriter.Settings.defaults());
        writer.write(images.subList(0, 16), Files.createTempDirectory("warm"), p -> {}); // JIT and ND4J warm-up
        for (int round = 0; round < 3; round++) {
            long[] t = start();
            List<float[]> pixels = new ArrayList<>();
            for (ImageSource image : images) {
                pixels.add(processor.normalize(processor.resize(ImageDecoder.read(image.file()))));
            }
            report("decode+resize+normalize only", t, images.size());
            int s = tower.imageSize();
            t = start();
            for (int from = 0; from < pixels.size(); from += batch) {
                int n = Math.min(batch, pixels.size() - from);
                float[] data = new float[n * 3 * s * s];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(pixels.get(from + i), 0, data, i * 3 * s * s, 3 * s * s);
                }
                tower.encode(Tensor.constant(Nd4j.create(data, new long[] {n, 3, s, s}, 'c')));
            }
            report("encode only", t, images.size());
            t = start();
            writer.write(images, Files.createTempDirectory("cache"), p -> {});
            report("FeatureCacheWriter.write", t, images.size());
        }
    }

    static long[] start() {
        System.gc();
        return new long[] {System.nanoTime(), OS.getProcessCpuTime()};
    }

    static void report(String what, long[] t, int n) {
        double wall = (System.nanoTime() - t[0]) / 1e9;
        double cpu = (OS.getProcessCpuTime() - t[1]) / 1e9;
        System.out.printf("%-30s wall %6.2f s  cpu %6.2f s  %4.0f%%  %5.2f images/s%n", what, wall, cpu,
                100 * cpu / wall, n / wall);
    }
}
