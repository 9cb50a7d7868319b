package dev.kiln.text.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * The WordPiece model: each word becomes the longest vocabulary entry that starts it, then the
 * longest continuation entry (marked with a prefix, {@code ##}) that starts the rest, and so on.
 * A word that cannot be covered this way, or that is longer than {@code maxInputCharsPerWord}
 * code points, becomes the unknown token as a whole.
 */
public final class WordPiece implements TokenModel {
    private final Map<String, Integer> vocab;
    private final String[] byId;
    private final String unkToken;
    private final int unkId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    /** No vocabulary entry is longer than this many code points, so no longer candidate is tried. */
    private final int longestEntry;

    /**
     * A WordPiece model.
     *
     * @throws IllegalArgumentException when the unknown token is not in the vocabulary or ids are not 0..n-1
     */
    public WordPiece(Map<String, Integer> vocab, String unkToken, String continuingSubwordPrefix, int maxInputCharsPerWord) {
        this.vocab = new HashMap<>(vocab);
        int maxId = -1;
        int longest = 0;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getValue() < 0) {
                throw new IllegalArgumentException("negative id " + e.getValue() + " for token '" + e.getKey() + "'");
            }
            maxId = Math.max(maxId, e.getValue());
            longest = Math.max(longest, e.getKey().codePointCount(0, e.getKey().length()));
        }
        // The reverse table is sized by the largest id: ids beyond the vocabulary would let a
        // small file ask for an array of any size.
        if (maxId >= vocab.size()) {
            throw new IllegalArgumentException("the vocabulary of " + vocab.size() + " tokens gives the id " + maxId
                    + "; ids must be 0.." + (vocab.size() - 1));
        }
        this.byId = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            byId[e.getValue()] = e.getKey();
        }
        Integer unk = vocab.get(unkToken);
        if (unk == null) {
            throw new IllegalArgumentException("the unknown token '" + unkToken + "' is not in the vocabulary");
        }
        this.unkToken = unkToken;
        this.unkId = unk;
        this.prefix = continuingSubwordPrefix;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.longestEntry = longest;
    }

    @Override
    public void tokenize(NormalizedText text, int from, int to, TokenSequence out) {
        if (to - from > maxInputCharsPerWord) {
            out.add(unkId, unkToken, text.start(from), text.end(to - 1), 0, false);
            return;
        }
        int mark = out.size();
        int start = from;
        while (start < to) {
            int end = Math.min(to, start + longestEntry);
            int id = -1;
            String piece = null;
            for (; end > start; end--) {
                piece = start > from ? prefix + text.substring(start, end) : text.substring(start, end);
                Integer found = vocab.get(piece);
                if (found != null) {
                    id = found;
                    break;
                }
            }
            if (id < 0) {
                out.truncate(mark, false);
                out.add(unkId, unkToken, text.start(from), text.end(to - 1), 0, false);
                return;
            }
            out.add(id, piece, text.start(start), text.end(end - 1), 0, false);
            start = end;
        }
    }

    @Override
    public int tokenToId(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    @Override
    public String idToToken(int id) {
        return id >= 0 && id < byId.length ? byId[id] : null;
    }

    @Override
    public int vocabSize() {
        return byId.length;
    }
}
