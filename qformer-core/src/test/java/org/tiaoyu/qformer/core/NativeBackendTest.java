package org.tiaoyu.qformer.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
