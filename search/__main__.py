"""``python -m search``: the ``search`` command."""

from search.launch import main

if __name__ == "__main__":
    main()
