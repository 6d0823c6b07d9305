package org.tiaoyu.qformer.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.nn.Linear;

class NativeBackendTest {

    @Test
    void readsTheFlagsOfCpuinfo(@TempDir Path dir) throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512dq avx512bw avx512vl\n"
                + "processor\t: 1\nflags\t\t: fpu\n");
        Set<String> flags = NativeBackend.cpuFlags(cpuinfo);
        assertTrue(NativeBackend.hasAvx512(flags));
        assertFalse(NativeBackend.hasAvx512(Set.of("avx2", "avx512f")), "AVX-512 needs F, BW, DQ and VL");
        assertEquals(Set.of(), NativeBackend.cpuFlags(dir.resolve("missing")));
    }

    @Test
    void theChoiceIsMadeBeforeTestsRunAndMatchesTheCpu() {
        // The session listener has configured the backend; the choice is the fast build exactly when the CPU
        // has AVX-512 and the fast jar is on the class path, unless someone chose explicitly.
        String chosen = System.getProperty(NativeBackend.EXTENSION_PROPERTY);
        assertEquals(chosen, NativeBackend.configure(), "configure() keeps an existing choice");
        if (NativeBackend.FAST_EXTENSION.equals(chosen)) {
            assertTrue(NativeBackend.hasAvx512(NativeBackend.cpuFlags(Path.of("/proc/cpuinfo"))));
        }
    }

    /**
     * Research code that never calls {@link NativeBackend#configure} still gets the build its CPU runs: the library's
     * classes configure it when they load. (Without that, a CPU without AVX-512 died of SIGILL in ND4J's first op.)
     */
    @Test
    void usingTheLibraryFirstConfiguresTheBackend() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), FirstUse.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String expected = NativeBackend.hasAvx512(NativeBackend.cpuFlags(Path.of("/proc/cpuinfo")))
                ? System.getProperty(NativeBackend.EXTENSION_PROPERTY) : "";
        assertTrue(out.contains("extension=[" + expected + "] sum=12.0"), out);
    }

    /** A program whose first use of ND4J is through a layer of the library. */
    public static final class FirstUse {
        public static void main(String[] args) {
            Linear layer = new Linear(2, 3, false, DataType.FLOAT);
            layer.weight.data().assign(2);
            double sum = layer.forward(Tensor.constant(Nd4j.ones(DataType.FLOAT, 1, 2))).data().sumNumber()
                    .doubleValue();
            System.out.println("extension=[" + System.getProperty(NativeBackend.EXTENSION_PROPERTY) + "] sum=" + sum);
        }
    }
}
