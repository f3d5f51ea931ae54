namespace Agentic.Core.Serialization;

/// <summary>
/// The bytes are not a valid safetensors file: truncated, a header length beyond the file, malformed JSON, an unknown
/// dtype, a shape that disagrees with its byte range, overlapping, gapped or out-of-range offsets, or duplicate names.
/// </summary>
/// <remarks>
/// <see cref="InvalidDataException"/> is sealed, so this type derives from <see cref="IOException"/> instead: code that
/// already guards checkpoint loading with <c>catch (IOException)</c> also handles corrupt files.
/// </remarks>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Initializes the exception with a default message.</summary>
    public SafeTensorsFormatException()
        : base("The data is not a valid safetensors file.")
    {
    }

    /// <summary>Initializes the exception with a message that says what is wrong.</summary>
    /// <param name="message">The description of the problem.</param>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes the exception with a message and the exception that revealed the problem.</summary>
    /// <param name="message">The description of the problem.</param>
    /// <param name="innerException">The underlying exception (for example a JSON parse error).</param>
    public SafeTensorsFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
