package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MiniFloatTest {
    @Test
    void maxValuesFollowTheSpec() {
        assertEquals(448f, MiniFloat.E4M3FN.max());
        assertEquals(240f, MiniFloat.E4M3FNUZ.max());
        assertEquals(57344f, MiniFloat.E5M2.max());
        assertEquals(57344f, MiniFloat.E5M2FNUZ.max());
        assertEquals(6f, MiniFloat.E2M1.max());
    }

    @Test
    void everyCodeRoundTrips() {
        for (MiniFloat f : new MiniFloat[] {MiniFloat.E4M3FN, MiniFloat.E4M3FNUZ, MiniFloat.E5M2, MiniFloat.E5M2FNUZ}) {
            for (int code = 0; code < 256; code++) {
                float v = f.decode(code);
                if (Float.isNaN(v) || (code == 0x80 && v == 0)) {
                    continue;
                }
                assertEquals(code, f.encode(v, false), "code " + code + " value " + v);
            }
        }
        for (int code = 0; code < 16; code++) {
            float v = MiniFloat.E2M1.decode(code);
            if (code != 8) {
                assertEquals(code, MiniFloat.E2M1.encode(v, true), "e2m1 code " + code);
            }
        }
    }

    @Test
    void saturationAndSpecialValues() {
        assertEquals(0x7E, MiniFloat.E4M3FN.encode(1000, true));
        assertTrue(Float.isNaN(MiniFloat.E4M3FN.decode(MiniFloat.E4M3FN.encode(1000, false))));
        assertEquals(0xFE, MiniFloat.E4M3FN.encode(Double.NEGATIVE_INFINITY, true));
        assertEquals(Float.POSITIVE_INFINITY, MiniFloat.E5M2.decode(MiniFloat.E5M2.encode(1e6, false)));
        assertEquals(0x7B, MiniFloat.E5M2.encode(1e6, true));
        assertEquals(0x80, MiniFloat.E4M3FNUZ.encode(Double.NaN, true));
        assertEquals(0, MiniFloat.E4M3FNUZ.encode(-0.0, true), "FNUZ has no negative zero");
        assertEquals(0x80, MiniFloat.E4M3FN.encode(-0.0, true));
    }

    @Test
    void roundsToNearestEven() {
        // 1.0 and 1.125 are neighbours in E4M3; 1.0625 is the tie and goes to the even code (1.0).
        assertEquals(1.0f, MiniFloat.E4M3FN.decode(MiniFloat.E4M3FN.encode(1.0625, true)));
        assertEquals(1.25f, MiniFloat.E4M3FN.decode(MiniFloat.E4M3FN.encode(1.1875, true)));
        // The smallest subnormal of E4M3FN is 2^-9.
        assertEquals((float) Math.scalb(1.0, -9), MiniFloat.E4M3FN.decode(1));
        assertEquals(1, MiniFloat.E4M3FN.encode(Math.scalb(1.0, -9) * 0.75, true));
        assertEquals(0, MiniFloat.E4M3FN.encode(Math.scalb(1.0, -9) * 0.5, true));
    }
}
