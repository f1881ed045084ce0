package io.capsule.sandbox.internal.unwind;

import java.util.ArrayList;
import java.util.List;

/** A function body as a tree: operators, and structured instructions with their bodies. */
sealed interface Piece permits Piece.Op, Piece.Structure {

  /**
   * One operator as its encoded bytes (opcode and immediates).
   *
   * @param opcode Chicory's opcode number ({@code 0xFC0A} for a prefixed one)
   * @param bytes the encoding
   */
  record Op(int opcode, byte[] bytes) implements Piece {}

  /**
   * A {@code block}, {@code loop} or {@code if} with its bodies (two for an {@code if} with an
   * {@code else}), its opener's bytes (block type included) and its type.
   */
  final class Structure implements Piece {
    private final Op opener;
    private final List<Integer> params;
    private final List<Integer> results;
    private final List<List<Piece>> bodies = new ArrayList<>();

    Structure(Op opener, List<Integer> params, List<Integer> results) {
      this.opener = opener;
      this.params = List.copyOf(params);
      this.results = List.copyOf(results);
      bodies.add(new ArrayList<>());
    }

    Op opener() {
      return opener;
    }

    List<Integer> params() {
      return params;
    }

    List<Integer> results() {
      return results;
    }

    List<List<Piece>> bodies() {
      return bodies;
    }

    boolean isIf() {
      return opener.opcode() == Codes.IF;
    }
  }
}
