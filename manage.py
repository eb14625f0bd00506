#!/usr/bin/env python
from kpa.cli import main

if __name__ == "__main__":
    main()
