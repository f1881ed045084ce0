package io.capsule.sandbox.internal.split;

import java.util.ArrayList;
import java.util.List;

/**
 * A function body as a tree: plain operators, structured instructions with their bodies, and
 * regions already moved out into functions of their own. The splitter rewrites this tree, never the
 * bytes, so that a region moved out may later sit inside a larger region moved out too.
 */
sealed interface Node permits Node.Op, Node.Structure, Node.Outlined {

  /**
   * The bytes this node takes in a body (remapped local and label indices may differ slightly),
   * glue weighted as {@link Outlined} says.
   */
  int size();

  /**
   * One operator, as its encoded bytes. Operators that name a local or a label, and {@code return},
   * are re-encoded when written (see {@link BodyWriter}); all others are copied.
   *
   * @param opcode Chicory's opcode number ({@code 0xFC0A} for a prefixed one)
   * @param bytes the encoding: opcode and immediates
   */
  record Op(int opcode, byte[] bytes) implements Node {
    @Override
    public int size() {
      return bytes.length;
    }
  }

  /**
   * A {@code block}, {@code loop}, {@code if} or {@code try_table} with its bodies: one, or two for
   * an {@code if} with an {@code else}.
   */
  final class Structure implements Node {
    private final Op opener;
    private final BlockType type;
    private final List<List<Node>> bodies = new ArrayList<>();

    Structure(Op opener, BlockType type) {
      this.opener = opener;
      this.type = type;
      bodies.add(new ArrayList<>());
    }

    Op opener() {
      return opener;
    }

    BlockType type() {
      return type;
    }

    List<List<Node>> bodies() {
      return bodies;
    }

    boolean isLoop() {
      return opener.opcode() == Opcodes.LOOP;
    }

    boolean isIf() {
      return opener.opcode() == Opcodes.IF;
    }

    boolean isTryTable() {
      return opener.opcode() == Opcodes.TRY_TABLE;
    }

    /** The types of the values a branch to this structure's label carries. */
    List<Integer> labelTypes() {
      return isLoop() ? type.paramCodes() : type.resultCodes();
    }

    @Override
    public int size() {
      int size = opener.size() + bodies.size(); // one byte each for `end` and `else`
      for (List<Node> body : bodies) {
        size += Nodes.size(body);
      }
      return size;
    }
  }

  /**
   * A region moved out into function {@code function}: in the body it stands for the glue that
   * calls that function and acts on the code it returns.
   *
   * <p>Its {@linkplain #size size} counts the glue's bytes {@code weight} times. Chicory compiles a
   * glue into about three times its bytes of JVM bytecode (each of the call's results is read from
   * the returned {@code long[]} and converted; other code is 1.0–1.6 times its bytes), so a body
   * left holding the glue of hundreds of regions — a dispatch loop whose cases all moved out — must
   * count it {@value #GLUE_WEIGHT} times, or its JVM method outgrows the 64 KB it was split for.
   */
  final class Outlined implements Node {
    /** How many times a glue's bytes count where a body may be mostly glue (see above). */
    static final int GLUE_WEIGHT = 3;

    private final List<Node> glue;
    private final int size;

    Outlined(List<Node> glue, int weight) {
      this.glue = List.copyOf(glue);
      this.size = weight * Nodes.size(glue);
    }

    List<Node> glue() {
      return glue;
    }

    /**
     * Whether execution may continue after it (the glue of a region that never does ends with
     * {@code unreachable}).
     */
    boolean fallsThrough() {
      Node last = glue.get(glue.size() - 1);
      return !(last instanceof Op op && op.opcode() == Opcodes.UNREACHABLE);
    }

    @Override
    public int size() {
      return size;
    }
  }
}
