package io.capsule.sandbox.internal;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;

/**
 * A table whose entries are charged to the attempt's {@link ResourceAccount}: a {@code table.grow}
 * the account does not hold returns -1, as WebAssembly lets a grow fail.
 *
 * <p>Each table gets its own copy of the declared limits: Chicory's {@link TableInstance#grow}
 * raises the minimum of the {@link Table} it was built from, which is the shared module's, so the
 * next instance of the module would otherwise start with the grown size.
 */
public final class AccountedTable extends TableInstance {
  /**
   * Host bytes per entry: Chicory keeps a table as an {@code int[]} of references beside an {@code
   * Instance[]} (4 bytes plus one object reference, at most 8).
   */
  public static final long ENTRY_BYTES = 12;

  private final ResourceAccount account;

  private AccountedTable(Table table, int initialValue, ResourceAccount account) {
    super(table, initialValue);
    this.account = account;
  }

  /**
   * Creates a table for an instance, charging its initial entries.
   *
   * @throws io.capsule.protocol.MemoryLimitException when the account does not hold them
   */
  public static AccountedTable create(Table declared, int initialValue, ResourceAccount account) {
    TableLimits limits = declared.limits();
    account.charge(limits.min() * ENTRY_BYTES, "a table of " + limits.min() + " entries");
    Table own =
        new Table(
            declared.elementType(),
            new TableLimits(limits.min(), limits.max()),
            declared.initialize());
    return new AccountedTable(own, initialValue, account);
  }

  @Override
  public int grow(int size, int value, Instance instance) {
    if (size < 0 || (long) size() + size > limits().max()) {
      return -1; // Chicory would overflow an int on a huge size
    }
    long bytes = size * ENTRY_BYTES;
    if (!account.tryCharge(bytes, "table.grow of " + size + " entries")) {
      return -1;
    }
    int old = super.grow(size, value, instance);
    if (old < 0) {
      account.release(bytes);
    }
    return old;
  }
}
