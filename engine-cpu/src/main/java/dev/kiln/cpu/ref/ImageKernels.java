package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.ResourceLimitException;
import dev.kiln.UnsupportedOperatorException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageReader;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * ImageDecoder: BMP, JPEG, PNG and TIFF through the JDK's image readers (whose JPEG decoder is
 * libjpeg with the smooth chroma upsampling the operator specifies), and the portable
 * bitmap formats (PBM, PGM, PPM) parsed here. A stream that cannot be decoded gives an empty
 * image, as the operator defines; WebP and JPEG 2000, which the JDK cannot read, are reported
 * as unsupported instead of being passed off as corrupt.
 */
final class ImageKernels {
    /** Decoded images above this many pixels are refused before decoding (a compressed stream can claim any size). */
    static final long MAX_PIXELS = 1L << 28;

    private ImageKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ImageKernels::imageDecoder, "ImageDecoder");
    }

    private static Kernel imageDecoder(BindContext b) {
        String format = b.node().attrString("pixel_format", "RGB");
        if (!List.of("RGB", "BGR", "Grayscale").contains(format)) {
            throw new ModelFormatException("ImageDecoder pixel_format must be RGB, BGR or Grayscale, got '" + format + "'");
        }
        int channels = format.equals("Grayscale") ? 1 : 3;
        return k -> {
            Tensor in = k.tensor(0);
            if (in.dtype() != DType.UINT8 || in.rank() != 1) {
                throw new IllegalArgumentException("ImageDecoder takes a 1-D uint8 stream, got " + in.dtype() + in.shape());
            }
            byte[] bytes = in.data().toArray(Layouts.I8);
            int[][] rgb = decode(bytes);
            if (rgb == null) {
                k.allocate(0, DType.UINT8, Shape.of(0, 0, channels));
                return;
            }
            int h = rgb.length;
            int w = h == 0 ? 0 : rgb[0].length;
            Tensor y = k.allocate(0, DType.UINT8, Shape.of(h, w, channels));
            long at = 0;
            for (int[] row : rgb) {
                for (int p : row) {
                    int r = (p >> 16) & 0xFF;
                    int g = (p >> 8) & 0xFF;
                    int bl = p & 0xFF;
                    if (channels == 1) {
                        y.data().set(Layouts.I8, at++, (byte) luma(r, g, bl));
                    } else {
                        boolean bgr = format.equals("BGR");
                        y.data().set(Layouts.I8, at++, (byte) (bgr ? bl : r));
                        y.data().set(Layouts.I8, at++, (byte) g);
                        y.data().set(Layouts.I8, at++, (byte) (bgr ? r : bl));
                    }
                }
            }
        };
    }

    /** ITU-R BT.601 luma in 16-bit fixed point, rounded half up. */
    static int luma(int r, int g, int b) {
        return (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
    }

    /** The image as rows of packed RGB, or {@code null} when the stream is not a decodable image. */
    static int[][] decode(byte[] bytes) {
        if (startsWith(bytes, "RIFF") && bytes.length >= 12 && new String(bytes, 8, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("WEBP")) {
            throw new UnsupportedOperatorException(List.of("ImageDecoder for WebP images"));
        }
        if (startsWith(bytes, "\0\0\0\fjP  ") || startsWith(bytes, "\u00ff\u004f\u00ff\u0051")) {
            throw new UnsupportedOperatorException(List.of("ImageDecoder for JPEG 2000 images"));
        }
        if (bytes.length >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6') {
            return Pnm.decode(bytes);
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new ResourceLimitException("the encoded image is " + reader.getWidth(0) + "x"
                            + reader.getHeight(0) + ", more than " + MAX_PIXELS + " pixels");
                }
                BufferedImage img = reader.read(0);
                int[][] rows = new int[img.getHeight()][img.getWidth()];
                for (int y = 0; y < rows.length; y++) {
                    img.getRGB(0, y, rows[y].length, 1, rows[y], 0, rows[y].length);
                }
                return rows;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ResourceLimitException r) {
                throw r;
            }
            return null;
        }
    }

    private static boolean startsWith(byte[] bytes, String prefix) {
        if (bytes.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if ((bytes[i] & 0xFF) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The Netpbm formats: P1-P3 (text) and P4-P6 (binary) bitmaps, graymaps and pixmaps. */
    static final class Pnm {
        private final byte[] b;
        private int pos = 2;

        private Pnm(byte[] b) {
            this.b = b;
        }

        static int[][] decode(byte[] bytes) {
            try {
                return new Pnm(bytes).read();
            } catch (IllegalStateException | ArrayIndexOutOfBoundsException e) {
                return null;
            }
        }

        private int[][] read() {
            char kind = (char) b[1];
            long w = number();
            long h = number();
            boolean bitmap = kind == '1' || kind == '4';
            long max = bitmap ? 1 : number();
            if (w <= 0 || h <= 0 || max <= 0 || max > 65535) {
                throw new IllegalStateException("bad header");
            }
            if (w * h > MAX_PIXELS) {
                throw new ResourceLimitException("the encoded image is " + w + "x" + h + ", more than " + MAX_PIXELS
                        + " pixels");
            }
            int samples = kind == '3' || kind == '6' ? 3 : 1;
            boolean binary = kind >= '4';
            pos++; // the single whitespace after the header
            int[][] rows = new int[(int) h][(int) w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int[] c = new int[3];
                    for (int s = 0; s < samples; s++) {
                        c[s] = bitmap ? (bit(binary, x) ? 0 : 255) : scale(binary ? sample(max) : number(), max);
                    }
                    if (samples == 1) {
                        c[1] = c[0];
                        c[2] = c[0];
                    }
                    rows[y][x] = c[0] << 16 | c[1] << 8 | c[2];
                }
            }
            return rows;
        }

        private int bitByte;

        /** A PBM pixel: 1 is black. Binary rows are padded to whole bytes. */
        private boolean bit(boolean binary, int x) {
            if (!binary) {
                skipSpace();
                return b[pos++] == '1';
            }
            if (x % 8 == 0) {
                bitByte = b[pos++] & 0xFF;
            }
            return ((bitByte >> (7 - x % 8)) & 1) != 0;
        }

        private int sample(long max) {
            if (max < 256) {
                return b[pos++] & 0xFF;
            }
            int v = (b[pos] & 0xFF) << 8 | (b[pos + 1] & 0xFF);
            pos += 2;
            return v;
        }

        private static int scale(long v, long max) {
            if (v > max) {
                throw new IllegalStateException("sample above maxval");
            }
            return max == 255 ? (int) v : (int) ((v * 255 + max / 2) / max);
        }

        private long number() {
            skipSpace();
            return digits();
        }

        private long digits() {
            long v = 0;
            int start = pos;
            while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
                v = v * 10 + (b[pos++] - '0');
                if (v > Integer.MAX_VALUE) {
                    throw new IllegalStateException("number too large");
                }
            }
            if (pos == start) {
                throw new IllegalStateException("number expected");
            }
            return v;
        }

        private void skipSpace() {
            while (true) {
                if (pos >= b.length) {
                    throw new IllegalStateException("truncated");
                }
                if (b[pos] == '#') {
                    while (pos < b.length && b[pos] != '\n') {
                        pos++;
                    }
                } else if (Character.isWhitespace(b[pos])) {
                    pos++;
                } else {
                    return;
                }
            }
        }
    }
}
