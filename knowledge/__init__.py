"""The knowledge base: procedure files, the code that loads them and the search over them."""
