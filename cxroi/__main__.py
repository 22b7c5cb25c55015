"""Allow ``python -m cxroi``."""

from cxroi.cli import main

if __name__ == "__main__":
    main()
