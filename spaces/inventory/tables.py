"""Tables of the inventory import (migration 0020)."""
