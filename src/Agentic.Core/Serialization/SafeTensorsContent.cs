namespace Agentic.Core.Serialization;

/// <summary>The contents of a safetensors file: its free-form string metadata and its tensors by name.</summary>
public sealed class SafeTensorsContent
{
    internal SafeTensorsContent(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, SafeTensor> tensors)
    {
        Metadata = metadata;
        Tensors = tensors;
    }

    /// <summary>Gets the <c>__metadata__</c> entries; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Gets the tensors by name, enumerated in file (data offset) order.</summary>
    public IReadOnlyDictionary<string, SafeTensor> Tensors { get; }

    /// <summary>Gets the tensor called <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor called <paramref name="name"/>; the message names it.</exception>
    public SafeTensor this[string name] =>
        Tensors.TryGetValue(name, out SafeTensor? tensor)
            ? tensor
            : throw new KeyNotFoundException($"The safetensors file has no tensor named '{name}'.");
}
