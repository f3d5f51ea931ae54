namespace Agentic.Core.Serialization;

/// <summary>The element types of the safetensors format (their header spelling is the member name in upper case).</summary>
public enum SafeTensorDType
{
    /// <summary>64-bit IEEE float (<c>"F64"</c>).</summary>
    F64,

    /// <summary>32-bit IEEE float (<c>"F32"</c>).</summary>
    F32,

    /// <summary>16-bit IEEE half float (<c>"F16"</c>).</summary>
    F16,

    /// <summary>16-bit brain float (<c>"BF16"</c>).</summary>
    BF16,

    /// <summary>64-bit signed integer (<c>"I64"</c>).</summary>
    I64,

    /// <summary>32-bit signed integer (<c>"I32"</c>).</summary>
    I32,

    /// <summary>16-bit signed integer (<c>"I16"</c>).</summary>
    I16,

    /// <summary>8-bit signed integer (<c>"I8"</c>).</summary>
    I8,

    /// <summary>8-bit unsigned integer (<c>"U8"</c>).</summary>
    U8,

    /// <summary>Boolean stored as one byte, 0 or 1 (<c>"BOOL"</c>).</summary>
    Bool,
}

/// <summary>Properties of <see cref="SafeTensorDType"/> values.</summary>
public static class SafeTensorDTypeExtensions
{
    /// <summary>Returns the size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>8, 4, 2 or 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined value.</exception>
    public static int ElementSize(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.I16 => 2,
        SafeTensorDType.I8 or SafeTensorDType.U8 or SafeTensorDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>Returns the header spelling of <paramref name="dtype"/> (for example <c>"BF16"</c>, <c>"BOOL"</c>).</summary>
    internal static string ToHeaderName(this SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 => "F64",
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.F16 => "F16",
        SafeTensorDType.BF16 => "BF16",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.I16 => "I16",
        SafeTensorDType.I8 => "I8",
        SafeTensorDType.U8 => "U8",
        SafeTensorDType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>Parses a header dtype spelling; false for dtypes this library does not support.</summary>
    internal static bool TryParseHeaderName(string name, out SafeTensorDType dtype)
    {
        switch (name)
        {
            case "F64": dtype = SafeTensorDType.F64; return true;
            case "F32": dtype = SafeTensorDType.F32; return true;
            case "F16": dtype = SafeTensorDType.F16; return true;
            case "BF16": dtype = SafeTensorDType.BF16; return true;
            case "I64": dtype = SafeTensorDType.I64; return true;
            case "I32": dtype = SafeTensorDType.I32; return true;
            case "I16": dtype = SafeTensorDType.I16; return true;
            case "I8": dtype = SafeTensorDType.I8; return true;
            case "U8": dtype = SafeTensorDType.U8; return true;
            case "BOOL": dtype = SafeTensorDType.Bool; return true;
            default: dtype = default; return false;
        }
    }
}
