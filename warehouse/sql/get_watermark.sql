SELECT position FROM watermarks WHERE source = $source AND brand = $brand;
